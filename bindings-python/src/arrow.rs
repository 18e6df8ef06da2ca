//! Records as tidy Arrow tables (one per record family), exported through the Arrow PyCapsule interface
//! (`__arrow_c_stream__`), so pyarrow, polars, pandas (via pyarrow) and duckdb take them without copies
//! through Python and without this crate depending on any of them.
//!
//! Times are `timestamp[us, UTC]` (one zone per column is all Arrow allows) and the offset the source wrote
//! is kept beside them in `utc_offset_seconds`, so local wall-clock time is recoverable exactly.

use std::ffi::CString;
use std::sync::Arc;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{
    ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, RecordBatchIterator,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::ffi::FFI_ArrowSchema;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::{Datelike, NaiveDate};
use phrkit::record::Timestamp;
use phrkit::Record;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::care::{self, Cell, Family, Ty};
use crate::flat;

/// Table names, in the order `Dataset.tables()` lists them. New record families add a `care::Family`.
pub(crate) fn tables() -> Vec<&'static str> {
    let mut t = vec!["measurements", "subjects"];
    t.extend(care::FAMILIES.iter().map(|f| f.table));
    t
}

/// Days from 0001-01-01 (CE day 1) to 1970-01-01, for Arrow `date32`.
const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

fn micros(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.timestamp_micros())
}

fn utc_ts(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
}

fn utc_ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn strings<S: AsRef<str>>(values: Vec<Option<S>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

/// Builds the named table, or says which tables exist.
pub(crate) fn build(records: &[Record], name: &str) -> Result<RecordBatch, String> {
    let built = match name {
        "measurements" => measurements(records),
        "subjects" => subjects(records),
        other => match care::FAMILIES.iter().find(|f| f.table == other) {
            Some(family) => family_table(records, family),
            None => {
                return Err(format!(
                    "no table {other:?}; tables are {}",
                    tables().join(", ")
                ))
            }
        },
    };
    built.map_err(|e| format!("building the {name} table failed: {e}"))
}

/// Index of the subject each record belongs to (records follow their subject), None before the first.
fn subject_indices(records: &[Record]) -> impl Iterator<Item = (Option<i64>, &Record)> {
    let mut current: Option<i64> = None;
    records.iter().map(move |r| {
        if let Record::Subject(_) = r {
            current = Some(current.map_or(0, |i| i + 1));
        }
        (current, r)
    })
}

fn measurements(records: &[Record]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut subject = Vec::new();
    let (mut kind, mut start, mut end, mut offset, mut date) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut value, mut text, mut unit, mut sys, mut dia) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut src, mut src_ver, mut dev_name, mut dev_manu, mut dev_model) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut recorded, mut ident) = (vec![], vec![]);
    for (s, r) in subject_indices(records) {
        let Record::Measurement(m) = r else { continue };
        let row = flat::row(m);
        subject.push(s);
        kind.push(Some(row.kind.into_owned()));
        start.push(micros(row.start));
        end.push(micros(row.end));
        offset.push(row.start.map(|t| t.offset().local_minus_utc()));
        date.push(Some(days(row.date)));
        value.push(flat::f64_of(row.value));
        text.push(row.value_text.map(str::to_owned));
        unit.push(row.unit);
        sys.push(flat::f64_of(row.systolic));
        dia.push(flat::f64_of(row.diastolic));
        let dev = row.source.and_then(|s| s.device.as_ref());
        src.push(row.source.and_then(|s| s.name.clone()));
        src_ver.push(row.source.and_then(|s| s.version.clone()));
        dev_name.push(dev.and_then(|d| d.name.clone()));
        dev_manu.push(dev.and_then(|d| d.manufacturer.clone()));
        dev_model.push(dev.and_then(|d| d.model.clone()));
        recorded.push(micros(m.recorded().copied()));
        ident.push(m.identifier().map(str::to_owned));
    }
    let utf8 = |n: &str| Field::new(n, DataType::Utf8, true);
    let schema = Schema::new(vec![
        Field::new("subject_index", DataType::Int64, true),
        Field::new("kind", DataType::Utf8, false),
        Field::new("start", utc_ts_type(), true),
        Field::new("end", utc_ts_type(), true),
        Field::new("utc_offset_seconds", DataType::Int32, true),
        Field::new("date", DataType::Date32, false),
        Field::new("value", DataType::Float64, true),
        utf8("value_text"),
        utf8("unit"),
        Field::new("systolic", DataType::Float64, true),
        Field::new("diastolic", DataType::Float64, true),
        utf8("source_name"),
        utf8("source_version"),
        utf8("device_name"),
        utf8("device_manufacturer"),
        utf8("device_model"),
        Field::new("recorded", utc_ts_type(), true),
        utf8("identifier"),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(subject)),
        strings(kind),
        utc_ts(start),
        utc_ts(end),
        Arc::new(Int32Array::from(offset)),
        Arc::new(Date32Array::from(date)),
        Arc::new(Float64Array::from(value)),
        strings(text),
        strings(unit),
        Arc::new(Float64Array::from(sys)),
        Arc::new(Float64Array::from(dia)),
        strings(src),
        strings(src_ver),
        strings(dev_name),
        strings(dev_manu),
        strings(dev_model),
        utc_ts(recorded),
        strings(ident),
    ];
    RecordBatch::try_new(Arc::new(schema), columns)
}

fn subjects(records: &[Record]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let (mut index, mut insured, mut kanji, mut kana, mut birth) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut sex, mut postal, mut pref, mut addr, mut n_ids) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (i, r) in subject_indices(records) {
        let Record::Subject(s) = r else { continue };
        let a = s.address.as_ref();
        index.push(i);
        insured.push(s.insured_id.as_ref().map(|id| id.to_jp_core()));
        kanji.push(s.name_kanji.as_ref().map(|n| n.text.clone()));
        kana.push(s.name_kana.as_ref().map(|n| n.text.clone()));
        birth.push(s.birth_date.map(days));
        sex.push(s.sex.map(|x| x.code()));
        postal.push(a.and_then(|a| a.postal_code.clone()));
        pref.push(a.and_then(|a| a.prefecture.clone()));
        addr.push(a.and_then(|a| a.text.clone()));
        n_ids.push(Some(s.identifiers.len() as i32));
    }
    let utf8 = |n: &str| Field::new(n, DataType::Utf8, true);
    let schema = Schema::new(vec![
        Field::new("subject_index", DataType::Int64, false),
        utf8("insured_id"),
        utf8("name_kanji"),
        utf8("name_kana"),
        Field::new("birth_date", DataType::Date32, true),
        utf8("sex"),
        utf8("postal_code"),
        utf8("prefecture"),
        utf8("address"),
        Field::new("identifier_count", DataType::Int32, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(index)),
        strings(insured),
        strings(kanji),
        strings(kana),
        Arc::new(Date32Array::from(birth)),
        strings(sex),
        strings(postal),
        strings(pref),
        strings(addr),
        Arc::new(Int32Array::from(n_ids)),
    ];
    RecordBatch::try_new(Arc::new(schema), columns)
}

/// Appends a cell to its column (cells of a row come in column order, so types always match).
fn push(column: &mut Column, cell: Cell) {
    match (column, cell) {
        (Column::Str(c), Cell::Str(v)) => c.push(v),
        (Column::F64(c), Cell::F64(v)) => c.push(v),
        (Column::I64(c), Cell::I64(v)) => c.push(v),
        (Column::Date(c), Cell::Date(v)) => c.push(v.map(days)),
        // A mismatch would be a bug in care.rs; a null keeps the column lengths equal regardless.
        (Column::Str(c), _) => c.push(None),
        (Column::F64(c), _) => c.push(None),
        (Column::I64(c), _) => c.push(None),
        (Column::Date(c), _) => c.push(None),
    }
}

enum Column {
    Str(Vec<Option<String>>),
    F64(Vec<Option<f64>>),
    I64(Vec<Option<i64>>),
    Date(Vec<Option<i32>>),
}

impl Column {
    fn of(ty: Ty) -> Column {
        match ty {
            Ty::Str => Column::Str(Vec::new()),
            Ty::F64 => Column::F64(Vec::new()),
            Ty::I64 => Column::I64(Vec::new()),
            Ty::Date => Column::Date(Vec::new()),
        }
    }
    fn data_type(ty: Ty) -> DataType {
        match ty {
            Ty::Str => DataType::Utf8,
            Ty::F64 => DataType::Float64,
            Ty::I64 => DataType::Int64,
            Ty::Date => DataType::Date32,
        }
    }
    fn into_array(self) -> ArrayRef {
        match self {
            Column::Str(v) => strings(v),
            Column::F64(v) => Arc::new(Float64Array::from(v)),
            Column::I64(v) => Arc::new(Int64Array::from(v)),
            Column::Date(v) => Arc::new(Date32Array::from(v)),
        }
    }
}

/// A record family's table: `subject_index`, then the family's columns, one row per `Family::rows` row.
fn family_table(
    records: &[Record],
    family: &Family,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut subject = Vec::new();
    let mut columns: Vec<Column> = family.columns.iter().map(|(_, t)| Column::of(*t)).collect();
    for (s, r) in subject_indices(records) {
        for row in (family.rows)(r) {
            subject.push(s);
            for (column, cell) in columns.iter_mut().zip(row) {
                push(column, cell);
            }
        }
    }
    let mut fields = vec![Field::new("subject_index", DataType::Int64, true)];
    fields.extend(
        family
            .columns
            .iter()
            .map(|(name, ty)| Field::new(*name, Column::data_type(*ty), true)),
    );
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(subject))];
    arrays.extend(columns.into_iter().map(Column::into_array));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

/// One table, exportable any number of times through the Arrow PyCapsule interface
/// (`pyarrow.table(t)`, `polars.DataFrame(t)`, `duckdb.arrow(t)` …). Needs no Arrow library to exist.
#[pyclass(module = "phrkit", frozen)]
pub struct ArrowTable {
    pub(crate) name: String,
    pub(crate) batch: RecordBatch,
}

fn capsule_name(name: &str) -> PyResult<CString> {
    CString::new(name).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

fn arrow_err(e: arrow_schema::ArrowError) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

#[pymethods]
impl ArrowTable {
    /// Table name (`measurements`, `subjects`).
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }
    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }
    /// Column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }
    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }
    /// Arrow PyCapsule interface: the schema.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.batch.schema().as_ref()).map_err(arrow_err)?;
        PyCapsule::new(py, schema, Some(capsule_name("arrow_schema")?))
    }
    /// Arrow PyCapsule interface: the data as a stream of one record batch. `requested_schema` is
    /// accepted and ignored, as the protocol allows (consumers cast).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(vec![Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new(py, stream, Some(capsule_name("arrow_array_stream")?))
    }
    fn __repr__(&self) -> String {
        format!(
            "ArrowTable(name={:?}, rows={}, columns={})",
            self.name,
            self.batch.num_rows(),
            self.batch.num_columns()
        )
    }
}
