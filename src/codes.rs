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

        impl $crate::codes::Coded for $name {
            fn from_code(code: &str) -> Option<$name> {
                $name::from_code(code)
            }
            fn known() -> String {
                $name::known()
            }
            fn name_in_words() -> String {
                $crate::codes::in_words(stringify!($name))
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [$($code),+] })
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
                        "{} {}{}",
                        $crate::codes::UNKNOWN,
                        $crate::codes::in_words(stringify!($name)),
                        $crate::codes::allowed(&Self::known())
                    ))
                })
            }
        }
    };
}

pub(crate) use coded_enum;

/// A closed vocabulary, for the command line's parsers.
pub trait Coded: Sized {
    fn from_code(code: &str) -> Option<Self>;
    fn known() -> String;
    fn name_in_words() -> String;
}

/// A command-line value of a closed vocabulary: a typo is refused before anything is sent,
/// with the allowed codes named.
pub fn parse<T: Coded>(text: &str) -> Result<T, String> {
    T::from_code(text)
        .ok_or_else(|| format!("not a {}{}", T::name_in_words(), allowed(&T::known())))
}

/// How every unknown code's message starts: the extractors keep such messages (they name only
/// the allowed codes) and drop every other deserialisation message (which may repeat a value).
pub const UNKNOWN: &str = "unknown";

/// What follows the type's name in that message.
pub fn allowed(known: &str) -> String {
    format!("; use one of: {known}")
}

/// A type's name as words: `ReferralState` becomes `referral state`.
pub fn in_words(name: &str) -> String {
    let mut words = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
        }
        words.extend(c.to_lowercase());
    }
    words
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_type_name_reads_as_words() {
        assert_eq!(super::in_words("ReferralState"), "referral state");
        assert_eq!(super::in_words("Service"), "service");
    }
}
