//! Consent: the FHIR R4 Consent model and the decision function (issue 6, `privacy.md` §1).

mod decide;
mod model;

pub use decide::{
    decide, decide_request, disclose, AccessRequest, ConsentSet, Decision, DecisionReason,
    Recipient, CONSENT_ACTION, PHRKIT_RECORD_TYPE, RESOURCE_TYPES,
};
pub use model::{
    jst, same_code, CodeableConcept, ConsentPeriod, ConsentPolicy, ConsentStatus, DateBound,
    PolicyRef, Provision, ProvisionActor, ProvisionData, ProvisionType, Reference,
    JP_CONSENT_PROFILE,
};
