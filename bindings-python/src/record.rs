//! Records as Python objects: `Measurement`, `Subject`, and a `{"type": ..}` dict for record types the
//! core has and this binding does not bind yet (the core's `Record` is `#[non_exhaustive]`).

use chrono::NaiveDate;
use phrkit::record::{Decimal, MeasurementValue, Timestamp};
use phrkit::Record;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::care::{self, Cell};
use crate::flat;

/// The core record behind a record object (for `ConsentPolicy.decide`).
pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Record> {
    if let Ok(m) = obj.cast::<Measurement>() {
        return Ok(Record::Measurement(m.get().inner.clone()));
    }
    if let Ok(s) = obj.cast::<Subject>() {
        return Ok(Record::from(s.get().inner.clone()));
    }
    macro_rules! care_class {
        ($($t:ty),*) => {$(
            if let Ok(c) = obj.cast::<$t>() {
                return Ok(c.get().inner.clone());
            }
        )*};
    }
    care_class!(Checkup, MedicationDispense, Immunization, MedicalExpense);
    Err(pyo3::exceptions::PyTypeError::new_err(
        "expected a phrkit record (Measurement, Subject, Checkup, MedicationDispense, Immunization, \
         MedicalExpense)",
    ))
}

fn cell_to_py(py: Python<'_>, cell: Cell) -> PyResult<Bound<'_, PyAny>> {
    Ok(match cell {
        Cell::Str(v) => v.into_pyobject(py)?.into_any(),
        Cell::F64(v) => v.into_pyobject(py)?.into_any(),
        Cell::I64(v) => v.into_pyobject(py)?.into_any(),
        Cell::Date(v) => v.into_pyobject(py)?.into_any(),
    })
}

/// The rows of a care record as dicts keyed by the table's column names.
fn row_dicts<'py>(py: Python<'py>, r: &Record) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let Some(family) = care::family_of(r) else {
        return Ok(Vec::new());
    };
    (family.rows)(r)
        .into_iter()
        .map(|row| {
            let d = PyDict::new(py);
            for ((name, _), cell) in family.columns.iter().zip(row) {
                d.set_item(*name, cell_to_py(py, cell)?)?;
            }
            Ok(d)
        })
        .collect()
}

/// A care record's date for `repr()` and `.date`: exam, dispensing (else prescribing), vaccination, or
/// the first day of the expense month.
fn care_date(r: &Record) -> Option<NaiveDate> {
    match r {
        Record::Checkup(c) => Some(c.exam_date),
        Record::Medication(m) => Some(m.event_date()),
        Record::Immunization(i) => Some(i.occurred.date()),
        Record::Expense(e) => Some(e.month.first_day()),
        _ => None,
    }
}

/// The four care record classes share one shape: `type`, `date`, `to_dict()`, equality, and a `repr()`
/// that names the type and date only (drug names, results and amounts are health data; they stay out
/// of notebooks' echo, logs and tracebacks).
macro_rules! care_record {
    ($name:ident, $type_name:literal, $doc:literal $(, { $($extra:tt)* })?) => {
        #[doc = $doc]
        #[pyclass(module = "phrkit", frozen, eq)]
        #[derive(Clone, PartialEq)]
        pub struct $name {
            pub(crate) inner: Record,
        }

        #[pymethods]
        impl $name {
            /// The core's record type name.
            #[getter]
            fn r#type(&self) -> &'static str {
                $type_name
            }
            /// The record's date (see the class doc).
            #[getter]
            fn date(&self) -> Option<NaiveDate> {
                care_date(&self.inner)
            }
            /// The record as rows of the family's table (`Dataset.table(...)` columns without
            /// `subject_index`): one row, or one per result for a checkup.
            fn rows<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
                row_dicts(py, &self.inner)
            }
            fn __repr__(&self) -> String {
                let date = care_date(&self.inner).map(|d| d.to_string()).unwrap_or_default();
                format!("{}(date={date:?}, rows={})", stringify!($name), care::family_of(&self.inner)
                    .map_or(0, |f| (f.rows)(&self.inner).len()))
            }
            $($($extra)*)?
        }
    };
}

care_record!(
    Checkup,
    "checkup",
    "One 特定健診 report (one person, one exam date); `rows()` gives one dict per result, `.subject` the \
     person.",
    {
        /// The person the report is about (its `repr()` masks every value).
        #[getter]
        fn subject(&self) -> Option<Subject> {
            match &self.inner {
                Record::Checkup(c) => Some(Subject {
                    inner: c.subject.clone(),
                }),
                _ => None,
            }
        }
    }
);
care_record!(
    MedicationDispense,
    "medicationDispense",
    "One dispensed drug (マイナポータル 薬剤情報); `.date` is the dispensing date, else the prescribing date."
);
care_record!(
    Immunization,
    "immunization",
    "One vaccination (マイナポータル 予防接種情報)."
);
care_record!(
    MedicalExpense,
    "medicalExpense",
    "One medical-expense notice row (医療費通知情報); `.date` is the first day of the care month."
);

/// Converts one record to its Python object.
pub(crate) fn to_py(py: Python<'_>, record: &Record) -> PyResult<Py<PyAny>> {
    Ok(match record {
        Record::Measurement(m) => Py::new(py, Measurement { inner: m.clone() })?.into_any(),
        Record::Subject(s) => Py::new(
            py,
            Subject {
                inner: (**s).clone(),
            },
        )?
        .into_any(),
        Record::Checkup(_) => Py::new(
            py,
            Checkup {
                inner: record.clone(),
            },
        )?
        .into_any(),
        Record::Medication(_) => Py::new(
            py,
            MedicationDispense {
                inner: record.clone(),
            },
        )?
        .into_any(),
        Record::Immunization(_) => Py::new(
            py,
            Immunization {
                inner: record.clone(),
            },
        )?
        .into_any(),
        Record::Expense(_) => Py::new(
            py,
            MedicalExpense {
                inner: record.clone(),
            },
        )?
        .into_any(),
        // Record families added to the core later appear as a typed stub until bound.
        other => {
            let d = PyDict::new(py);
            d.set_item("type", other.type_name())?;
            d.into_any().unbind()
        }
    })
}

/// One lifelog measurement (read-only). Equal when every field is equal, UTC offsets included.
#[pyclass(module = "phrkit", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Measurement {
    pub(crate) inner: phrkit::Measurement,
}

#[pymethods]
impl Measurement {
    /// Always `"measurement"` (records of other families have their own `type`).
    #[getter]
    fn r#type(&self) -> &'static str {
        "measurement"
    }
    /// Kind name (`stepCount`, `bodyMass`, `bloodPressure`, `other:<code>` …).
    #[getter]
    fn kind(&self) -> String {
        self.inner.kind().name().into_owned()
    }
    /// `instant`, `period` or `date`.
    #[getter]
    fn effective_type(&self) -> &'static str {
        flat::effective_type(self.inner.effective())
    }
    /// Start (or the instant), aware, in the offset the source wrote; None for a date-only measurement.
    #[getter]
    fn start(&self) -> Option<Timestamp> {
        self.inner.effective().start().copied()
    }
    /// End (or the instant); None for a date-only measurement.
    #[getter]
    fn end(&self) -> Option<Timestamp> {
        self.inner.effective().end().copied()
    }
    /// Calendar date at the start, in the written offset.
    #[getter]
    fn date(&self) -> NaiveDate {
        self.inner.effective().date()
    }
    /// The value as float (see `decimal` for the exact written value).
    #[getter]
    fn value(&self) -> Option<f64> {
        flat::f64_of(flat::row(&self.inner).value)
    }
    /// The value exactly as written (`104` and `104.0` differ), as `decimal.Decimal`.
    #[getter]
    fn decimal(&self) -> Option<Decimal> {
        flat::row(&self.inner).value
    }
    /// UCUM unit code.
    #[getter]
    fn unit(&self) -> Option<&'static str> {
        flat::row(&self.inner).unit
    }
    /// Text value (coded values of unknown kinds, workout activity).
    #[getter]
    fn value_text(&self) -> Option<String> {
        flat::row(&self.inner).value_text.map(str::to_owned)
    }
    /// Systolic pressure (blood pressure only).
    #[getter]
    fn systolic(&self) -> Option<f64> {
        flat::f64_of(flat::row(&self.inner).systolic)
    }
    /// Diastolic pressure (blood pressure only).
    #[getter]
    fn diastolic(&self) -> Option<f64> {
        flat::f64_of(flat::row(&self.inner).diastolic)
    }
    /// Source app / device as a dict (`name`, `version`, `device_name`, `device_manufacturer`,
    /// `device_model`, `device_hardware`, `device_software`), or None.
    #[getter]
    fn source<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(s) = self.inner.source() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("name", &s.name)?;
        d.set_item("version", &s.version)?;
        let dev = s.device.clone().unwrap_or_default();
        d.set_item("device_name", dev.name)?;
        d.set_item("device_manufacturer", dev.manufacturer)?;
        d.set_item("device_model", dev.model)?;
        d.set_item("device_hardware", dev.hardware)?;
        d.set_item("device_software", dev.software)?;
        Ok(Some(d))
    }
    /// Source app name (shortcut for `source["name"]`).
    #[getter]
    fn source_name(&self) -> Option<String> {
        self.inner.source().and_then(|s| s.name.clone())
    }
    /// When the source recorded it (FHIR `issued`).
    #[getter]
    fn recorded(&self) -> Option<Timestamp> {
        self.inner.recorded().copied()
    }
    /// The source's own sample id.
    #[getter]
    fn identifier(&self) -> Option<String> {
        self.inner.identifier().map(str::to_owned)
    }
    /// Metadata kept from the source, as (key, value) pairs.
    #[getter]
    fn metadata(&self) -> Vec<(String, String)> {
        self.inner
            .metadata()
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect()
    }
    /// Sleep stages as (stage code, start, end); empty for other kinds.
    #[getter]
    fn sleep_stages(&self) -> Vec<(&'static str, Timestamp, Timestamp)> {
        match self.inner.value() {
            MeasurementValue::Sleep(s) => s
                .stages()
                .iter()
                .map(|st| (st.stage.code(), *st.period.start(), *st.period.end()))
                .collect(),
            _ => Vec::new(),
        }
    }
    /// Workout details (`activity`, `duration`, `energy`, `distance` as (Decimal, unit) or None), or None.
    #[getter]
    fn workout<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let MeasurementValue::Workout(w) = self.inner.value() else {
            return Ok(None);
        };
        let q = |q: &Option<phrkit::record::Quantity>| q.as_ref().map(|q| (q.value, q.unit.ucum()));
        let d = PyDict::new(py);
        d.set_item("activity", &w.activity)?;
        d.set_item("duration", q(&w.duration))?;
        d.set_item("energy", q(&w.energy))?;
        d.set_item("distance", q(&w.distance))?;
        Ok(Some(d))
    }

    fn __repr__(&self) -> String {
        let r = flat::row(&self.inner);
        let when = match (r.start, r.end) {
            (Some(s), Some(e)) if s != e => format!(
                "{}/{}",
                phrkit::record::format_timestamp(&s),
                phrkit::record::format_timestamp(&e)
            ),
            (Some(s), _) => phrkit::record::format_timestamp(&s),
            _ => r.date.to_string(),
        };
        let value = match (r.value, r.systolic, r.diastolic) {
            (_, Some(s), Some(d)) => format!("{s}/{d}"),
            (Some(v), _, _) => v.to_string(),
            _ => r.value_text.map(|t| format!("{t:?}")).unwrap_or_default(),
        };
        format!(
            "Measurement(kind={:?}, effective={when:?}, value={value}, unit={:?})",
            r.kind,
            r.unit.unwrap_or("")
        )
    }
}

/// The person the following records are about. `repr()` shows which fields are present, never their
/// values (it ends up in notebooks, logs and tracebacks).
#[pyclass(module = "phrkit", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    pub(crate) inner: phrkit::Subject,
}

#[pymethods]
impl Subject {
    /// Always `"subject"`.
    #[getter]
    fn r#type(&self) -> &'static str {
        "subject"
    }
    /// Insured-person identifier in the JP Core form `insurer:symbol:number:branch`.
    #[getter]
    fn insured_id(&self) -> Option<String> {
        self.inner.insured_id.as_ref().map(|i| i.to_jp_core())
    }
    /// Other identifiers as (system, value).
    #[getter]
    fn identifiers(&self) -> Vec<(String, String)> {
        self.inner
            .identifiers
            .iter()
            .map(|c| (c.system.clone(), c.code.clone()))
            .collect()
    }
    /// Name in kanji.
    #[getter]
    fn name_kanji(&self) -> Option<String> {
        self.inner.name_kanji.as_ref().map(|n| n.text.clone())
    }
    /// Name in katakana.
    #[getter]
    fn name_kana(&self) -> Option<String> {
        self.inner.name_kana.as_ref().map(|n| n.text.clone())
    }
    /// Birth date.
    #[getter]
    fn birth_date(&self) -> Option<NaiveDate> {
        self.inner.birth_date
    }
    /// FHIR administrative gender code.
    #[getter]
    fn sex(&self) -> Option<&'static str> {
        self.inner.sex.map(|s| s.code())
    }
    /// Postal code.
    #[getter]
    fn postal_code(&self) -> Option<String> {
        self.inner
            .address
            .as_ref()
            .and_then(|a| a.postal_code.clone())
    }
    /// Prefecture.
    #[getter]
    fn prefecture(&self) -> Option<String> {
        self.inner
            .address
            .as_ref()
            .and_then(|a| a.prefecture.clone())
    }
    /// Rest of the address.
    #[getter]
    fn address(&self) -> Option<String> {
        self.inner.address.as_ref().and_then(|a| a.text.clone())
    }
    /// True for the anonymous placeholder (nothing known).
    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        let present = [
            ("insured_id", s.insured_id.is_some()),
            ("name_kanji", s.name_kanji.is_some()),
            ("name_kana", s.name_kana.is_some()),
            ("birth_date", s.birth_date.is_some()),
            ("sex", s.sex.is_some()),
            ("address", s.address.is_some()),
        ];
        let mut parts: Vec<String> = present
            .iter()
            .filter(|(_, p)| *p)
            .map(|(k, _)| format!("{k}=<masked>"))
            .collect();
        if !s.identifiers.is_empty() {
            parts.push(format!("identifiers=<{} masked>", s.identifiers.len()));
        }
        format!("Subject({})", parts.join(", "))
    }
}
