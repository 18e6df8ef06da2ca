//! Keyed pseudonyms, per-person date offsets and reversible encryption (`privacy.md` §7).
//!
//! `pseudonym = HMAC-SHA256(K_domain, system ‖ 0x00 ‖ value)` in lowercase hex, with
//! `K_domain = HMAC(master, "phrkit/v1/pseudonym/" ‖ domain ‖ 0x00 ‖ context)`. One domain per identifier
//! kind keeps an insured-person id and a patient id that happen to share digits apart; the optional
//! context (recipient, delivery) makes deliveries unlinkable unless the caller reuses it (NII 2(7)②(ウ)).

use chrono::{Duration, NaiveDate};
use ring::{aead, hmac, rand::SecureRandom};

use super::key::{hex, PseudonymKey};
use crate::error::{ErrorKind, Result};
use crate::record::Timestamp;

/// The kind of identifier a pseudonym replaces; each has its own derived key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Domain {
    /// 保険者番号 alone.
    InsurerNumber,
    /// 被保険者個人識別子 (insurer:symbol:number:branch).
    InsuredId,
    /// Medical-record / PHR patient ids.
    PatientId,
    /// The subject as a whole (when no identifier is known: name + birth date).
    Subject,
    /// Source sample ids and other record ids.
    RecordId,
    /// Free values hashed by a custom `cryptoHash` rule.
    Custom,
}

impl Domain {
    /// Stable name, part of the key derivation and of pseudonym identifier systems.
    pub fn name(self) -> &'static str {
        match self {
            Domain::InsurerNumber => "insurer-number",
            Domain::InsuredId => "insured-id",
            Domain::PatientId => "patient-id",
            Domain::Subject => "subject",
            Domain::RecordId => "record-id",
            Domain::Custom => "custom",
        }
    }

    const ALL: [Domain; 6] = [
        Domain::InsurerNumber,
        Domain::InsuredId,
        Domain::PatientId,
        Domain::Subject,
        Domain::RecordId,
        Domain::Custom,
    ];
}

/// Identifier-system prefix of pseudonyms written into FHIR (`…/pseudonym/insured-id`).
pub const PSEUDONYM_SYSTEM: &str = "http://phrkit.dev/fhir/sid/pseudonym/";

/// Pseudonym, date-shift and encryption functions under one key and context.
pub struct Pseudonyms {
    domain_keys: Vec<(Domain, hmac::Key)>,
    date_key: hmac::Key,
    aead_key: aead::LessSafeKey,
    key_id: String,
    max_shift_days: i64,
    weekday_preserving: bool,
}

impl Pseudonyms {
    /// Derives the domain keys from `key` and `context` (e.g. `recipient ‖ delivery`; empty for none).
    pub fn new(key: &PseudonymKey, context: &str) -> Result<Pseudonyms> {
        let label = |what: &str| {
            let mut l = Vec::with_capacity(what.len() + context.len() + 1);
            l.extend_from_slice(what.as_bytes());
            l.push(0);
            l.extend_from_slice(context.as_bytes());
            l
        };
        let domain_keys = Domain::ALL
            .iter()
            .map(|d| {
                let k = key.derive(&label(&format!("pseudonym/{}", d.name())));
                (*d, hmac::Key::new(hmac::HMAC_SHA256, &k[..]))
            })
            .collect();
        let date_key = hmac::Key::new(hmac::HMAC_SHA256, &key.derive(&label("date-shift"))[..]);
        // The encryption key ignores the context so the key holder can always decrypt.
        let enc = key.derive(b"encrypt/aes-256-gcm");
        let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, &enc[..])
            .map_err(|_| ErrorKind::Key("cannot build the encryption key".into()))?;
        Ok(Pseudonyms {
            domain_keys,
            date_key,
            aead_key: aead::LessSafeKey::new(unbound),
            key_id: key.key_id(),
            max_shift_days: 50,
            weekday_preserving: false,
        })
    }

    /// Sets the date-shift range (±days, at least 1) and whether shifts are multiples of 7 days.
    pub fn with_date_shift(mut self, max_days: u32, weekday_preserving: bool) -> Pseudonyms {
        self.max_shift_days = i64::from(max_days.max(1));
        self.weekday_preserving = weekday_preserving;
        self
    }

    /// The key id (safe to report).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn domain_key(&self, d: Domain) -> &hmac::Key {
        // Every domain has a key (built from Domain::ALL); the first is a harmless fallback.
        self.domain_keys
            .iter()
            .find(|(x, _)| *x == d)
            .or(self.domain_keys.first())
            .map(|(_, k)| k)
            .unwrap_or(&self.date_key)
    }

    /// The raw 32-byte pseudonym of `system` + `value` in a domain.
    pub fn pseudonym_bytes(&self, domain: Domain, system: &str, value: &str) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(self.domain_key(domain));
        ctx.update(system.as_bytes());
        ctx.update(&[0]);
        ctx.update(value.trim().as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    /// The pseudonym as 64 lowercase hex digits.
    pub fn pseudonym(&self, domain: Domain, system: &str, value: &str) -> String {
        hex(&self.pseudonym_bytes(domain, system, value))
    }

    /// The per-person date offset in days, from the person's subject pseudonym: in `[-max, max]`, never 0
    /// (a zero shift would leave real dates), a multiple of 7 when weekdays are preserved.
    pub fn date_offset_days(&self, subject_pseudonym: &str) -> i64 {
        let tag = hmac::sign(&self.date_key, subject_pseudonym.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&tag.as_ref()[..8]);
        let r = u64::from_le_bytes(b);
        if self.weekday_preserving {
            let weeks = (self.max_shift_days / 7).max(1);
            let w = (r % (weeks as u64 * 2)) as i64; // 0..2w-1
            let w = if w < weeks { w - weeks } else { w - weeks + 1 }; // -weeks..-1, 1..weeks
            w * 7
        } else {
            let m = self.max_shift_days;
            let d = (r % (m as u64 * 2)) as i64;
            if d < m {
                d - m
            } else {
                d - m + 1
            }
        }
    }

    /// Shifts an instant by whole days, keeping time of day and offset.
    pub fn shift(t: &Timestamp, days: i64) -> Timestamp {
        t.checked_add_signed(Duration::days(days)).unwrap_or(*t)
    }

    /// Shifts a date by whole days.
    pub fn shift_date(d: &NaiveDate, days: i64) -> NaiveDate {
        d.checked_add_signed(Duration::days(days)).unwrap_or(*d)
    }

    /// Encrypts with AES-256-GCM under a key derived from the master key; output
    /// `enc1.` ‖ base64url(nonce ‖ ciphertext ‖ tag). Random nonce: equal inputs give different outputs.
    pub fn encrypt(&self, plaintext: &str) -> Result<String> {
        let mut nonce = [0u8; 12];
        ring::rand::SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| ErrorKind::Key("system random generator failed".into()))?;
        let mut buf = plaintext.as_bytes().to_vec();
        self.aead_key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(b"phrkit enc1"),
                &mut buf,
            )
            .map_err(|_| ErrorKind::Key("encryption failed".into()))?;
        let mut all = nonce.to_vec();
        all.extend_from_slice(&buf);
        Ok(format!("enc1.{}", base64url(&all)))
    }

    /// Reverses [`Pseudonyms::encrypt`] (key holders only).
    pub fn decrypt(&self, token: &str) -> Result<String> {
        let bad = || ErrorKind::Key("not a phrkit enc1 token or wrong key".to_owned());
        let body = token.strip_prefix("enc1.").ok_or_else(bad)?;
        let mut all = base64url_decode(body).ok_or_else(bad)?;
        if all.len() < 12 + 16 {
            return Err(bad().into());
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&all[..12]);
        let ct = &mut all[12..];
        let plain = self
            .aead_key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(b"phrkit enc1"),
                ct,
            )
            .map_err(|_| bad())?;
        String::from_utf8(plain.to_vec()).map_err(|_| bad().into())
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            s.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    s
}

fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| B64.iter().position(|&x| x == c).map(|p| p as u32);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        for i in 0..produced {
            out.push(((n >> (16 - 8 * i)) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(b: u8, ctx: &str) -> Pseudonyms {
        Pseudonyms::new(&PseudonymKey::from_bytes(vec![b; 32]).unwrap(), ctx).unwrap()
    }

    #[test]
    fn encrypt_round_trips_and_is_randomised() {
        let ps = p(1, "");
        let a = ps.encrypt("山田 太郎").unwrap();
        let b = ps.encrypt("山田 太郎").unwrap();
        assert_ne!(a, b);
        assert_eq!(ps.decrypt(&a).unwrap(), "山田 太郎");
        assert!(p(2, "").decrypt(&a).is_err());
        assert!(ps.decrypt("enc1.xx").is_err());
    }

    #[test]
    fn date_offsets_are_bounded_nonzero_and_weekday_preserving_on_request() {
        let ps = p(1, "");
        let wk = p(1, "").with_date_shift(50, true);
        for i in 0..500 {
            let s = format!("s{i}");
            let d = ps.date_offset_days(&s);
            assert!((-50..=50).contains(&d) && d != 0);
            let w = wk.date_offset_days(&s);
            assert!(w % 7 == 0 && w != 0 && (-49..=49).contains(&w));
        }
    }

    #[test]
    fn context_separates_deliveries() {
        let a = p(1, "recipient-a").pseudonym(Domain::PatientId, "sys", "123");
        let b = p(1, "recipient-b").pseudonym(Domain::PatientId, "sys", "123");
        assert_ne!(a, b);
    }
}
