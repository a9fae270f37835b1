//! Classification and grading (分类分级), DESIGN.md C3.
//!
//! A dataset has a [`Domain`], each column a [`Grade`]; the dataset's grade is the highest of its
//! columns (就高从严), and its [`OpeningType`] is derived from the grades and its [`Importance`].
//! A publisher may always make things stricter; making them looser needs the authority.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Error for a value that names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownVariant {
    /// What was being parsed, e.g. "grade".
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// The accepted spellings.
    pub expected: &'static str,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $code)] $variant,)+ }

        impl $name {
            /// Every variant, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in the API, the database and URLs.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The label in Simplified Chinese.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            /// The label in English.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }

            /// The label in the given language (`"en"` or anything else for Chinese).
            pub fn label(self, lang: &str) -> &'static str {
                if lang == "en" { self.label_en() } else { self.label_zh() }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = $crate::classification::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::classification::UnknownVariant {
                        kind: $kind,
                        value: s.to_string(),
                        expected: concat!($($code, " "),+),
                    }),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// The domain of a dataset (数据域).
    Domain, "domain" {
        /// 政务数据: produced by government departments.
        Government => "government", "政务数据", "Government data";
        /// 企业数据: contributed by enterprises and social organisations.
        Enterprise => "enterprise", "企业数据", "Enterprise data";
        /// 个人数据: about natural persons.
        Personal => "personal", "个人数据", "Personal data";
    }
}

string_enum! {
    /// Column grade after the four-level scheme of DB33/T 2350-2021. Ordered: `L1 < L4`.
    Grade, "grade" {
        /// L1 不敏感.
        L1 => "L1", "L1 不敏感", "L1 not sensitive";
        /// L2 低敏感.
        L2 => "L2", "L2 低敏感", "L2 low sensitivity";
        /// L3 较敏感.
        L3 => "L3", "L3 较敏感", "L3 sensitive";
        /// L4 敏感.
        L4 => "L4", "L4 敏感", "L4 highly sensitive";
    }
}

string_enum! {
    /// Opening type (开放属性). Ordered from most open to least: `Unconditional < NotOpen`.
    OpeningType, "opening type" {
        /// 无条件开放.
        Unconditional => "unconditional", "无条件开放", "Unconditionally open";
        /// 有条件开放.
        Conditional => "conditional", "有条件开放", "Conditionally open";
        /// 不予开放.
        NotOpen => "not_open", "不予开放", "Not open";
    }
}

string_enum! {
    /// Importance after GB/T 43697-2024. Ordered: `Ordinary < Core`.
    Importance, "importance" {
        /// An ordinary dataset.
        Ordinary => "ordinary", "一般数据", "Ordinary data";
        /// 重要数据.
        Important => "important", "重要数据", "Important data";
        /// 核心数据.
        Core => "core", "核心数据", "Core data";
    }
}

/// The dataset grade: the highest grade of its columns (就高从严); L1 for a dataset without columns.
pub fn dataset_grade(columns: impl IntoIterator<Item = Grade>) -> Grade {
    columns.into_iter().max().unwrap_or(Grade::L1)
}

/// The loosest opening type the rules of C3 allow for a dataset.
///
/// Only a dataset whose every exposed column is L1 may be unconditional; L2 and L3 columns make it
/// conditional; L4 columns are never opened, so they do not block opening the other columns;
/// important and core datasets are not open at all.
pub fn derived_opening_type(
    importance: Importance,
    columns: impl IntoIterator<Item = Grade>,
) -> OpeningType {
    if importance != Importance::Ordinary {
        return OpeningType::NotOpen;
    }
    let exposed = columns.into_iter().filter(|g| *g != Grade::L4);
    match exposed.max() {
        None | Some(Grade::L1) => OpeningType::Unconditional,
        Some(_) => OpeningType::Conditional,
    }
}

/// Whether a publisher's chosen opening type respects the rules: it may be as strict as it likes,
/// but never looser than [`derived_opening_type`].
pub fn opening_type_allowed(
    chosen: OpeningType,
    importance: Importance,
    columns: impl IntoIterator<Item = Grade>,
) -> bool {
    chosen >= derived_opening_type(importance, columns)
}

/// A change of a grade or opening type and whether it needs the authority's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Same value: nothing to do.
    Unchanged,
    /// Stricter: the publisher may do it at once.
    Stricter,
    /// Looser: becomes a request that only the authority can approve.
    NeedsApproval,
}

/// Classifies a change between two ordered values where greater means stricter.
pub fn change<T: Ord>(from: T, to: T) -> Change {
    match to.cmp(&from) {
        std::cmp::Ordering::Equal => Change::Unchanged,
        std::cmp::Ordering::Greater => Change::Stricter,
        std::cmp::Ordering::Less => Change::NeedsApproval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(importance: Importance, grades: &[Grade], expected: OpeningType) {
        assert_eq!(
            derived_opening_type(importance, grades.iter().copied()),
            expected,
            "{importance:?} {grades:?}"
        );
    }

    #[test]
    fn derived_opening_type_table() {
        use Grade::*;
        use Importance::*;
        use OpeningType::*;
        check(Ordinary, &[], Unconditional);
        check(Ordinary, &[L1, L1], Unconditional);
        check(Ordinary, &[L1, L4], Unconditional);
        check(Ordinary, &[L1, L2], Conditional);
        check(Ordinary, &[L3, L1, L4], Conditional);
        check(Ordinary, &[L4], Unconditional);
        check(Important, &[L1], NotOpen);
        check(Core, &[L1], NotOpen);
    }

    #[test]
    fn dataset_grade_is_highest() {
        assert_eq!(dataset_grade([Grade::L2, Grade::L4, Grade::L1]), Grade::L4);
        assert_eq!(dataset_grade([]), Grade::L1);
    }

    #[test]
    fn codes_round_trip() {
        for g in Grade::ALL {
            assert_eq!(g.code().parse::<Grade>().unwrap(), *g);
        }
        for o in OpeningType::ALL {
            assert_eq!(o.code().parse::<OpeningType>().unwrap(), *o);
        }
        for d in Domain::ALL {
            assert_eq!(d.code().parse::<Domain>().unwrap(), *d);
        }
        // serde uses the same codes as the API and the database.
        assert_eq!(serde_json::to_string(&Grade::L3).unwrap(), "\"L3\"");
        assert_eq!(
            serde_json::to_string(&OpeningType::NotOpen).unwrap(),
            "\"not_open\""
        );
        let err = "L5".parse::<Grade>().unwrap_err();
        assert!(err.to_string().contains("L1 L2 L3 L4"), "{err}");
    }

    #[test]
    fn changes() {
        assert_eq!(change(Grade::L2, Grade::L3), Change::Stricter);
        assert_eq!(change(Grade::L3, Grade::L2), Change::NeedsApproval);
        assert_eq!(
            change(OpeningType::Conditional, OpeningType::Unconditional),
            Change::NeedsApproval
        );
        assert_eq!(change(Grade::L1, Grade::L1), Change::Unchanged);
    }

    fn grade() -> impl Strategy<Value = Grade> {
        prop::sample::select(Grade::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn unconditional_only_when_every_exposed_column_is_l1(grades in prop::collection::vec(grade(), 0..12)) {
            let t = derived_opening_type(Importance::Ordinary, grades.iter().copied());
            if t == OpeningType::Unconditional {
                prop_assert!(grades.iter().all(|g| *g == Grade::L1 || *g == Grade::L4));
            }
        }

        #[test]
        fn stricter_choice_is_always_allowed(grades in prop::collection::vec(grade(), 0..12)) {
            let derived = derived_opening_type(Importance::Ordinary, grades.iter().copied());
            for t in OpeningType::ALL {
                prop_assert_eq!(opening_type_allowed(*t, Importance::Ordinary, grades.iter().copied()), *t >= derived);
            }
        }
    }
}
