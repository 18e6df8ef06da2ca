//! Built-in column mappings. Header spellings are compared after trimming, full-width folding, removing
//! spaces and lower-casing.
//!
//! * OMRON connect (US app) — verified layout (spec `lifelog.md` §4): `Date,Time,Systolic (mmHg),
//!   Diastolic (mmHg),Pulse (bpm),…`, dates like `Jan 12 2025`, times `08:12`.
//! * Japanese blood-pressure CSV — **(unverified)**: no public sample of OMRON's Japanese export exists
//!   (spec §4); the headers below are the usual Japanese terms (最高血圧/最低血圧/脈拍, 収縮期/拡張期),
//!   with `2025/01/12` dates. Adjust when a real file is seen.
//! * Japanese body-composition CSV (TANITA-style) — **(unverified)**: 測定日時, 体重(kg), 体脂肪率(%), BMI,
//!   modelled on the Health Planet API fields (6021 weight kg, 6022 body fat %).

use super::{Column, KindId, Preset, Target, When};
use crate::record::Unit;

const PULSE: Column = Column {
    headers: &["Pulse (bpm)", "Pulse", "脈拍(拍/分)", "脈拍", "脈拍数"],
    target: Target::Quantity(KindId::HeartRate, Unit::PerMinute),
};

/// The presets, tried in order.
pub static PRESETS: &[Preset] = &[
    Preset {
        name: "OMRON connect (CSV)",
        when: When::DateAndTime {
            date: &["Date"],
            date_format: "%b %d %Y",
            time: &["Time"],
            time_format: "%H:%M",
        },
        columns: &[
            Column {
                headers: &["Systolic (mmHg)", "Systolic"],
                target: Target::Systolic,
            },
            Column {
                headers: &["Diastolic (mmHg)", "Diastolic"],
                target: Target::Diastolic,
            },
            PULSE,
        ],
    },
    Preset {
        name: "blood pressure monitor (CSV, ja)",
        when: When::DateAndTime {
            date: &["測定日", "日付"],
            date_format: "%Y/%m/%d",
            time: &["測定時刻", "時刻"],
            time_format: "%H:%M",
        },
        columns: &[
            Column {
                headers: &[
                    "最高血圧(mmHg)",
                    "最高血圧",
                    "収縮期血圧(mmHg)",
                    "収縮期血圧",
                ],
                target: Target::Systolic,
            },
            Column {
                headers: &[
                    "最低血圧(mmHg)",
                    "最低血圧",
                    "拡張期血圧(mmHg)",
                    "拡張期血圧",
                ],
                target: Target::Diastolic,
            },
            PULSE,
        ],
    },
    Preset {
        name: "body composition scale (CSV, ja)",
        when: When::DateTime {
            headers: &["測定日時", "日時"],
            format: "%Y/%m/%d %H:%M",
        },
        columns: &[
            Column {
                headers: &["体重(kg)", "体重"],
                target: Target::Quantity(KindId::BodyWeight, Unit::Kilogram),
            },
            Column {
                headers: &["体脂肪率(%)", "体脂肪率"],
                target: Target::Quantity(KindId::BodyFat, Unit::Percent),
            },
            Column {
                headers: &["BMI"],
                target: Target::Quantity(KindId::Bmi, Unit::KilogramPerSquareMeter),
            },
        ],
    },
];
