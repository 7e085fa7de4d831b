//! The follow-up token: the reporter's only way back to their case.
//!
//! A token is 22 random decimal digits (73 bits of secret) followed by two ISO 7064 MOD 97-10
//! check digits (the scheme IBANs use), shown in six groups of four: `1234 5678 9012 3456 7890
//! 1234`. Digits read aloud in any language and type on any phone keypad; the check digits catch
//! every single wrong digit and every swap of two neighbours, so a typo is told apart from a
//! token that matches no case. Digits from Arabic-Indic, Persian, Devanagari and full-width
//! keyboards are accepted as well as ASCII ones.
//!
//! The server never stores the token. It is stretched with Argon2id (deployment-wide public salt
//! and parameters) into 64 bytes: the first 32 are the *lookup key*, the last 32 the *reply
//! seed*. The store keeps HMAC-SHA256(server secret, lookup key) as the case's verifier and the
//! public half of the X25519 key made from the reply seed, to which replies are sealed. Because
//! the parameters are public, a browser can do the stretching itself and send only the lookup key.

use std::fmt;

use ring::{hmac, rand::SecureRandom};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Random digits in a token: 10^22 ≈ 2^73.
pub const RANDOM_DIGITS: usize = 22;
/// All digits in a token, check digits included.
pub const TOKEN_DIGITS: usize = RANDOM_DIGITS + 2;
/// Length of the lookup key and of the reply seed.
pub const KEY_BYTES: usize = 32;

/// Why a typed token was refused before any lookup.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("a follow-up number has {TOKEN_DIGITS} digits; this one has {0}")]
    Length(usize),
    #[error("a follow-up number holds only digits, spaces and dashes")]
    Character,
    #[error("this follow-up number has a typo: check each digit against your copy")]
    Checksum,
    #[error("the token stretching parameters are invalid: {0}")]
    Parameters(String),
}

/// A syntactically valid token, held as its ASCII digits and wiped on drop.
#[derive(Clone)]
pub struct Token(Zeroizing<[u8; TOKEN_DIGITS]>);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    /// Makes a fresh token from the operating system's secure random source.
    pub fn generate() -> Token {
        let rng = ring::rand::SystemRandom::new();
        let mut digits = Zeroizing::new([0u8; TOKEN_DIGITS]);
        let mut filled = 0;
        let mut pool = Zeroizing::new([0u8; 32]);
        while filled < RANDOM_DIGITS {
            rng.fill(&mut pool[..])
                .expect("the system random source failed");
            // Rejection sampling keeps every digit uniform: 250 is the largest multiple of 10
            // that fits in a byte.
            for &byte in pool.iter().filter(|&&b| b < 250) {
                if filled == RANDOM_DIGITS {
                    break;
                }
                digits[filled] = b'0' + byte % 10;
                filled += 1;
            }
        }
        let check = check_digits(&digits[..RANDOM_DIGITS]);
        digits[RANDOM_DIGITS] = b'0' + check / 10;
        digits[RANDOM_DIGITS + 1] = b'0' + check % 10;
        Token(digits)
    }

    /// Reads a token as a person typed it: digits of any common script, with any spaces,
    /// dashes or dots between them.
    pub fn parse(input: &str) -> Result<Token, TokenError> {
        let mut digits = Zeroizing::new([0u8; TOKEN_DIGITS]);
        let mut count = 0usize;
        for c in input.chars() {
            if let Some(d) = decimal_value(c) {
                if count < TOKEN_DIGITS {
                    digits[count] = b'0' + d;
                }
                count += 1;
            } else if !is_separator(c) {
                return Err(TokenError::Character);
            }
        }
        if count != TOKEN_DIGITS {
            return Err(TokenError::Length(count));
        }
        if mod97(&digits[..]) != 1 {
            return Err(TokenError::Checksum);
        }
        Ok(Token(digits))
    }

    /// The token in six groups of four digits, for showing to the reporter once.
    pub fn display(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(TOKEN_DIGITS + 5));
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(char::from(*d));
        }
        out
    }

    /// Stretches the token into its lookup key and reply seed.
    pub fn stretch(&self, params: &StretchParams) -> Result<Stretched, TokenError> {
        self.stretch_in(params, &mut StretchMemory::new(params))
    }

    /// Stretches the token in working memory that the caller keeps between runs, so that a
    /// server's stretching workers hold a fixed amount of memory instead of allocating (and the
    /// allocator keeping) a fresh 19 MiB for every run. The memory is wiped after each run.
    pub fn stretch_in(
        &self,
        params: &StretchParams,
        memory: &mut StretchMemory,
    ) -> Result<Stretched, TokenError> {
        let argon = params.argon2()?;
        let mut out = Zeroizing::new([0u8; 2 * KEY_BYTES]);
        memory.fit(params);
        let result = argon.hash_password_into_with_memory(
            &self.0[..],
            &params.salt,
            &mut out[..],
            &mut memory.0[..],
        );
        // Wipe block by block: `Vec::zeroize` would also empty the vector, and the next run
        // would allocate its 19 MiB afresh.
        memory.0.iter_mut().for_each(Zeroize::zeroize);
        result.map_err(|e| TokenError::Parameters(e.to_string()))?;
        let mut lookup = [0u8; KEY_BYTES];
        let mut seed = [0u8; KEY_BYTES];
        lookup.copy_from_slice(&out[..KEY_BYTES]);
        seed.copy_from_slice(&out[KEY_BYTES..]);
        Ok(Stretched {
            lookup: LookupKey(lookup),
            reply_seed: ReplySeed(seed),
        })
    }
}

/// The two check digits of ISO 7064 MOD 97-10 for `digits` (ASCII).
fn check_digits(digits: &[u8]) -> u8 {
    let remainder = mod97(digits) * 100 % 97;
    (98 - remainder) as u8
}

/// The decimal number spelled by ASCII `digits`, modulo 97, without overflow.
fn mod97(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0u32, |acc, d| (acc * 10 + u32::from(d - b'0')) % 97)
}

/// The value of a decimal digit from the keyboards a reporter is likely to use.
fn decimal_value(c: char) -> Option<u8> {
    const ZEROS: [u32; 5] = [
        '0' as u32, // ASCII
        0x0660,     // Arabic-Indic
        0x06F0,     // Extended Arabic-Indic (Persian, Urdu)
        0x0966,     // Devanagari
        0xFF10,     // full-width (Chinese and Japanese input methods)
    ];
    let code = c as u32;
    ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&code))
        .map(|zero| (code - zero) as u8)
}

/// Separators people type or paste between digits: spaces of every kind, dashes, dots, and the
/// invisible marks that copying from right-to-left messengers inserts. The browser's list
/// (web/src/core.js) is the same.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '_'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{200B}'..='\u{200F}'
                | '\u{061C}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// The deployment-wide Argon2id parameters. They are public: browsers fetch them to stretch
/// tokens on the phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StretchParams {
    pub salt: Vec<u8>,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl StretchParams {
    fn argon2(&self) -> Result<argon2::Argon2<'static>, TokenError> {
        let params = argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(2 * KEY_BYTES),
        )
        .map_err(|e| TokenError::Parameters(e.to_string()))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }

    /// Checks the parameters once at start, so that a bad configuration stops the start.
    pub fn validate(&self) -> Result<(), TokenError> {
        if self.salt.len() < 16 {
            return Err(TokenError::Parameters(
                "the salt must be at least 16 bytes".into(),
            ));
        }
        self.argon2().map(|_| ())
    }
}

/// Argon2id's working memory (one 1 KiB block per KiB of `memory_kib`).
pub struct StretchMemory(Vec<argon2::Block>);

impl StretchMemory {
    pub fn new(params: &StretchParams) -> StretchMemory {
        let mut memory = StretchMemory(Vec::new());
        memory.fit(params);
        memory
    }

    fn fit(&mut self, params: &StretchParams) {
        let blocks = params.memory_kib as usize;
        if self.0.len() != blocks {
            self.0 = vec![argon2::Block::default(); blocks];
        }
    }
}

/// The result of stretching a token.
pub struct Stretched {
    pub lookup: LookupKey,
    pub reply_seed: ReplySeed,
}

/// The 32-byte key a case is looked up by. Sent by browsers that stretch the token themselves.
#[derive(Clone, Zeroize, zeroize::ZeroizeOnDrop)]
pub struct LookupKey([u8; KEY_BYTES]);

impl LookupKey {
    /// Takes a lookup key sent by a client.
    pub fn from_bytes(bytes: &[u8]) -> Option<LookupKey> {
        bytes.try_into().ok().map(LookupKey)
    }

    /// The verifier the store keeps for this key.
    pub fn verifier(&self, secret: &ServerSecret) -> Verifier {
        let tag = hmac::sign(&secret.0, &self.0);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        Verifier(out)
    }
}

/// The 32-byte seed of the reporter's X25519 reply key.
#[derive(Zeroize, zeroize::ZeroizeOnDrop)]
pub struct ReplySeed([u8; KEY_BYTES]);

impl ReplySeed {
    /// The age identity that opens replies sealed to the reporter.
    pub fn identity(&self) -> age::x25519::Identity {
        // age parses identities only from their Bech32 text, so the seed is encoded first;
        // both intermediate strings are wiped.
        let hrp = bech32::Hrp::parse("age-secret-key-").expect("a valid HRP");
        let mut text = Zeroizing::new(
            bech32::encode::<bech32::Bech32>(hrp, &self.0).expect("32 bytes always encode"),
        );
        text.make_ascii_uppercase();
        text.parse()
            .expect("a freshly encoded X25519 identity parses")
    }

    /// The public reply recipient the store keeps.
    pub fn recipient(&self) -> age::x25519::Recipient {
        self.identity().to_public()
    }
}

/// HMAC-SHA256 of a lookup key under the server secret: what the store keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier(pub [u8; 32]);

impl Verifier {
    /// Constant-time comparison, for the final check after a database lookup.
    pub fn matches(&self, stored: &[u8]) -> bool {
        stored.len() == self.0.len() && bool::from(self.0[..].ct_eq(stored))
    }
}

/// The server's HMAC key for verifiers, kept in a file outside the database.
pub struct ServerSecret(hmac::Key);

impl ServerSecret {
    /// Minimum length of the secret file, in bytes.
    pub const MIN_BYTES: usize = 32;

    pub fn from_bytes(bytes: &[u8]) -> Option<ServerSecret> {
        (bytes.len() >= Self::MIN_BYTES)
            .then(|| ServerSecret(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
    }

    /// A key of its own for `purpose`, derived from the secret: HMAC(secret, purpose). A
    /// purpose is a label shorter than 32 bytes, so it never collides with a lookup key's
    /// verifier (HMAC over 32 bytes).
    pub fn derive(&self, purpose: &'static str) -> hmac::Key {
        assert!(
            purpose.len() < 32,
            "a purpose label is shorter than a lookup key"
        );
        let tag = hmac::sign(&self.0, purpose.as_bytes());
        hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref())
    }

    /// Fresh secret bytes, for `demo` and for `confide keys`.
    pub fn generate_bytes() -> Zeroizing<[u8; 32]> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        ring::rand::SystemRandom::new()
            .fill(&mut bytes[..])
            .expect("the system random source failed");
        bytes
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fast_params() -> StretchParams {
        StretchParams {
            salt: b"confide-test-salt-0123".to_vec(),
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn a_generated_token_parses_back_from_its_display_form() {
        let token = Token::generate();
        let shown = token.display();
        assert_eq!(shown.len(), TOKEN_DIGITS + 5);
        let parsed = Token::parse(&shown).unwrap();
        assert_eq!(&parsed.0[..], &token.0[..]);
    }

    #[test]
    fn generated_tokens_differ() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(&a.0[..], &b.0[..]);
    }

    #[test]
    fn arabic_indic_and_full_width_digits_are_read_as_digits() {
        let token = Token::generate();
        let ascii: String = token.display().to_string();
        let arabic: String = ascii
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0x0660 + d).unwrap(),
                None => '-',
            })
            .collect();
        let wide: String = ascii
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0xFF10 + d).unwrap(),
                None => ' ',
            })
            .collect();
        assert_eq!(&Token::parse(&arabic).unwrap().0[..], &token.0[..]);
        assert_eq!(&Token::parse(&wide).unwrap().0[..], &token.0[..]);
    }

    #[test]
    fn wrong_length_and_letters_are_told_apart_from_typos() {
        assert_eq!(
            Token::parse("1234 5678").unwrap_err(),
            TokenError::Length(8)
        );
        assert_eq!(
            Token::parse("1234 abcd").unwrap_err(),
            TokenError::Character
        );
        assert_eq!(Token::parse("").unwrap_err(), TokenError::Length(0));
    }

    #[test]
    fn the_debug_form_never_shows_the_digits() {
        let token = Token::generate();
        let debug = format!("{token:?}");
        assert!(!debug.chars().any(|c| c.is_ascii_digit()));
    }

    #[test]
    fn stretching_is_deterministic_and_splits_lookup_from_reply_seed() {
        let token = Token::generate();
        let a = token.stretch(&fast_params()).unwrap();
        let b = token.stretch(&fast_params()).unwrap();
        assert_eq!(a.lookup.0, b.lookup.0);
        assert_eq!(a.reply_seed.0, b.reply_seed.0);
        assert_ne!(a.lookup.0, a.reply_seed.0);
        let mut other = fast_params();
        other.salt = b"another-deployment-salt".to_vec();
        assert_ne!(token.stretch(&other).unwrap().lookup.0, a.lookup.0);
    }

    #[test]
    fn the_verifier_depends_on_the_server_secret() {
        let lookup = LookupKey([7u8; 32]);
        let one = ServerSecret::from_bytes(&[1u8; 32]).unwrap();
        let two = ServerSecret::from_bytes(&[2u8; 32]).unwrap();
        assert!(lookup.verifier(&one).matches(&lookup.verifier(&one).0));
        assert!(!lookup.verifier(&one).matches(&lookup.verifier(&two).0));
        assert!(ServerSecret::from_bytes(&[0u8; 31]).is_none());
    }

    #[test]
    fn the_reply_identity_opens_what_is_sealed_to_the_reply_recipient() {
        let seed = ReplySeed([9u8; 32]);
        let sealed = age::encrypt(&seed.recipient(), b"we received your report").unwrap();
        let opened = age::decrypt(&seed.identity(), &sealed).unwrap();
        assert_eq!(opened, b"we received your report");
    }

    #[test]
    fn a_short_salt_is_refused_at_start() {
        let mut params = fast_params();
        params.salt = vec![0; 8];
        assert!(params.validate().is_err());
        assert!(fast_params().validate().is_ok());
    }

    fn digits_of(token: &Token) -> Vec<u8> {
        token.0.iter().map(|d| d - b'0').collect()
    }

    fn spell(digits: &[u8]) -> String {
        digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    proptest! {
        #[test]
        fn every_single_wrong_digit_is_caught(position in 0..TOKEN_DIGITS, delta in 1u8..10) {
            let token = Token::generate();
            let mut digits = digits_of(&token);
            digits[position] = (digits[position] + delta) % 10;
            prop_assert_eq!(Token::parse(&spell(&digits)).unwrap_err(), TokenError::Checksum);
        }

        #[test]
        fn every_swap_of_two_different_neighbours_is_caught(position in 0..TOKEN_DIGITS - 1) {
            let token = Token::generate();
            let mut digits = digits_of(&token);
            prop_assume!(digits[position] != digits[position + 1]);
            digits.swap(position, position + 1);
            prop_assert_eq!(Token::parse(&spell(&digits)).unwrap_err(), TokenError::Checksum);
        }

        #[test]
        fn any_grouping_of_the_same_digits_reads_the_same(splits in proptest::collection::vec(0..TOKEN_DIGITS, 0..6)) {
            let token = Token::generate();
            let plain = spell(&digits_of(&token));
            let mut grouped = String::new();
            for (i, c) in plain.chars().enumerate() {
                if splits.contains(&i) {
                    grouped.push_str(" - ");
                }
                grouped.push(c);
            }
            prop_assert_eq!(&Token::parse(&grouped).unwrap().0[..], &token.0[..]);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(input in "\\PC{0,80}") {
            let _ = Token::parse(&input);
        }
    }
}
