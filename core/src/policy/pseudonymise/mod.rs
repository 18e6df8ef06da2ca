//! Pseudonymisation (仮名加工) and anonymisation (匿名加工) of records before they are written
//! (`privacy.md` §3, §7).

mod key;
mod pseudonym;

pub use key::PseudonymKey;
pub use pseudonym::{Domain, Pseudonyms, PSEUDONYM_SYSTEM};
