//! Source identity: Apple's `HKDevice` string without its memory address, shared as one `Arc<Source>`.
//!
//! The `device` attribute starts with `<<HKDevice: 0x…>` whose address changes from record to record
//! (spec §1.9); keyed naively, one iPhone becomes thousands of sources. The cache key therefore drops the
//! hexadecimal address, and every record of the same (sourceName, sourceVersion, device) shares one `Arc`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::record::{Source, SourceDevice};

/// Distinct sources remembered; beyond this each new source is built fresh (still correct, just not shared).
const MAX_SOURCES: usize = 4096;

/// Parses `<<HKDevice: 0x…>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2,
/// software:10.2>` (already unescaped). Values may contain commas (`Watch6,2`); a field starts only at
/// `, key:` where `key` is a word. Unknown keys (`localIdentifier`, `UDIDeviceIdentifier`) are dropped:
/// they identify a unit, not a model. A string that is not an `HKDevice` becomes the device name.
pub(crate) fn parse_device(raw: &str) -> Option<SourceDevice> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let Some(rest) = raw.strip_prefix("<<HKDevice:") else {
        return Some(SourceDevice {
            name: Some(raw.to_owned()),
            ..SourceDevice::default()
        });
    };
    let body = match rest.find(">,") {
        Some(i) => &rest[i + 2..],
        None => "",
    };
    let body = body.trim().strip_suffix('>').unwrap_or(body).trim();
    let mut dev = SourceDevice::default();
    let mut current: Option<(&str, String)> = None;
    let store = |field: Option<(&str, String)>, dev: &mut SourceDevice| {
        let Some((key, value)) = field else { return };
        let slot = match key {
            "name" => &mut dev.name,
            "manufacturer" => &mut dev.manufacturer,
            "model" => &mut dev.model,
            "hardware" => &mut dev.hardware,
            "software" => &mut dev.software,
            _ => return,
        };
        let value = value.trim();
        if !value.is_empty() {
            *slot = Some(value.to_owned());
        }
    };
    for seg in body.split(", ") {
        let key = seg
            .split_once(':')
            .map(|(k, _)| k)
            .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric()));
        match (key, current.as_mut()) {
            (Some(k), _) => {
                store(current.take(), &mut dev);
                current = Some((k, seg[k.len() + 1..].to_owned()));
            }
            (None, Some((_, v))) => {
                v.push_str(", ");
                v.push_str(seg);
            }
            (None, None) => {}
        }
    }
    store(current.take(), &mut dev);
    // An HKDevice string with no field phrkit keeps says nothing about the device (and an empty device
    // could not survive a FHIR round trip distinct from "no device"). Found by fuzzing (fuzz_5c5bbb64).
    (dev != SourceDevice::default()).then_some(dev)
}

/// Splits `raw` around its `0x…` address: (before, after). No address: (raw, empty).
fn split_address(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'x', &raw[from..]).map(|i| i + from) {
        if i > 0 && raw[i - 1] == b'0' {
            let hex = raw[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            return (&raw[..i - 1], &raw[i + 1 + hex..]);
        }
        from = i + 1;
    }
    (raw, &[])
}

/// A recently used source, stored in parts so the address-free comparison needs no key building.
struct Recent {
    name: Option<Vec<u8>>,
    version: Option<Vec<u8>>,
    device: Option<(Vec<u8>, Vec<u8>)>,
    source: Arc<Source>,
}

impl Recent {
    fn matches(&self, raw: &RawSource<'_>, device: Option<(&[u8], &[u8])>) -> bool {
        self.name.as_deref() == raw.name
            && self.version.as_deref() == raw.version
            && self
                .device
                .as_ref()
                .map(|(a, b)| (a.as_slice(), b.as_slice()))
                == device
    }
}

/// One `Arc<Source>` per distinct source.
#[derive(Default)]
pub(crate) struct SourceCache {
    map: HashMap<Vec<u8>, Arc<Source>>,
    key: Vec<u8>,
    /// The most recently used sources (compared before hashing: sources alternate in runs).
    recent: Vec<Recent>,
    next_recent: usize,
}

/// Sources checked by plain comparison before the hash map.
const RECENT: usize = 4;

/// The raw (still escaped) attribute bytes of a source.
pub(crate) struct RawSource<'a> {
    pub(crate) name: Option<&'a [u8]>,
    pub(crate) version: Option<&'a [u8]>,
    pub(crate) device: Option<&'a [u8]>,
}

impl SourceCache {
    /// The shared source for these attributes; `build` decodes them when the source is new.
    pub(crate) fn get<E>(
        &mut self,
        raw: &RawSource<'_>,
        build: impl FnOnce(&RawSource<'_>) -> Result<Source, E>,
    ) -> Result<Arc<Source>, E> {
        let device = raw.device.map(split_address);
        if let Some(r) = self.recent.iter().find(|r| r.matches(raw, device)) {
            return Ok(Arc::clone(&r.source));
        }
        self.key.clear();
        for part in [raw.name, raw.version] {
            self.key.extend_from_slice(part.unwrap_or(b"\xff"));
            self.key.push(0);
        }
        match device {
            Some((a, b)) => {
                self.key.extend_from_slice(a);
                self.key.push(0);
                self.key.extend_from_slice(b);
            }
            None => self.key.push(0xff),
        }
        let source = match self.map.get(self.key.as_slice()) {
            Some(s) => Arc::clone(s),
            None => {
                let s = Arc::new(build(raw)?);
                if self.map.len() < MAX_SOURCES {
                    self.map.insert(self.key.clone(), Arc::clone(&s));
                }
                s
            }
        };
        let slot = Recent {
            name: raw.name.map(<[u8]>::to_vec),
            version: raw.version.map(<[u8]>::to_vec),
            device: device.map(|(a, b)| (a.to_vec(), b.to_vec())),
            source: Arc::clone(&source),
        };
        if self.recent.len() < RECENT {
            self.recent.push(slot);
        } else {
            self.recent[self.next_recent] = slot;
            self.next_recent = (self.next_recent + 1) % RECENT;
        }
        Ok(source)
    }

    /// Distinct sources seen (for tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hkdevice_without_the_address() {
        let d = parse_device("<<HKDevice: 0x2820680f0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch4,2, software:7.2>").unwrap();
        assert_eq!(d.name.as_deref(), Some("Apple Watch"));
        assert_eq!(d.manufacturer.as_deref(), Some("Apple Inc."));
        assert_eq!(d.model.as_deref(), Some("Watch"));
        assert_eq!(d.hardware.as_deref(), Some("Watch4,2"));
        assert_eq!(d.software.as_deref(), Some("7.2"));
        let d = parse_device("<<HKDevice: 0x1>, name:Hanako, Watch, localIdentifier:X, model:W>")
            .unwrap();
        assert_eq!(d.name.as_deref(), Some("Hanako, Watch"));
        assert_eq!(d.model.as_deref(), Some("W"));
        assert_eq!(parse_device(""), None);
        assert_eq!(
            parse_device("Scale").unwrap().name.as_deref(),
            Some("Scale")
        );
    }

    #[test]
    fn one_arc_per_source_whatever_the_address() {
        let mut c = SourceCache::default();
        let mut get = |dev: &[u8]| {
            c.get(
                &RawSource {
                    name: Some(b"Watch"),
                    version: Some(b"10.2"),
                    device: Some(dev),
                },
                |_| Ok::<_, ()>(Source::default()),
            )
            .unwrap()
        };
        let a = get(b"&lt;&lt;HKDevice: 0x2820680f0&gt;, name:Apple Watch&gt;");
        let b = get(b"&lt;&lt;HKDevice: 0x30000aa10&gt;, name:Apple Watch&gt;");
        let other = get(b"&lt;&lt;HKDevice: 0x30000aa10&gt;, name:iPhone&gt;");
        let again = get(b"&lt;&lt;HKDevice: 0x1&gt;, name:Apple Watch&gt;");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a, &again));
        assert!(!Arc::ptr_eq(&a, &other));
        assert_eq!(c.len(), 2);
    }
}
