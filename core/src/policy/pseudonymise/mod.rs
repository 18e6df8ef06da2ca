//! Pseudonymisation (仮名加工) and anonymisation (匿名加工) of records before they are written
//! (`privacy.md` §3, §7).

mod anonymise;
mod care_fields;
mod engine;
mod fields;
mod key;
mod pseudonym;
mod pseudonymiser;
mod report;
pub mod rules;

pub use anonymise::{anonymise, AnonymiseOptions, QuasiIdentifier};
pub use engine::{Profile, PseudonymiseOptions, OBSERVATION_VALUE};
pub use fields::{
    as_pseudonymisable, measurement_fields, subject_fields, Birth, Field, FieldClass, FieldVisitor,
    IdAction, Pseudonymisable,
};
pub use key::PseudonymKey;
pub use pseudonym::{Domain, Pseudonyms, PSEUDONYM_SYSTEM};
pub use pseudonymiser::{Labelled, Pseudonymiser};
pub use report::{ChangeReport, KAnonymityReport, Method};
pub use rules::RuleSet;
