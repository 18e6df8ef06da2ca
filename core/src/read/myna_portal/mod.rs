//! マイナポータル downloads whose layout is publicly documented (`mynaportal.md` §5 rule 1): the 医療費通知
//! CSV. API payloads are not public; they are read through the declarative mapping layer
//! ([`crate::read::mapping`]), never by a built-in guess.

pub mod expense_csv;
pub mod jp_text;
