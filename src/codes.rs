//! Closed vocabularies stored as short codes: each enum variant has one code, used in the
//! database, the APIs and the exports, and nothing outside the list is ever accepted.

/// Declares an enum whose variants are stored and exchanged as fixed codes, with `ALL`,
/// `code()`, `from_code()` and serde that accepts only the listed codes. The error for an
/// unknown code lists the known ones and never repeats what was sent.
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code ),+
                }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }

            /// The codes, comma-separated, for error messages.
            pub fn known() -> String {
                Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::from_code(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown {}; use one of: {}",
                        stringify!($name),
                        Self::known()
                    ))
                })
            }
        }
    };
}

pub(crate) use coded_enum;
