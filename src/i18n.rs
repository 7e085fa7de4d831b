//! The languages of the pages: Fluent message files embedded in the binary, one bundle per
//! language, chosen by the page's switcher (`?lang=`) or the browser's preference. Two books:
//! the reporter's pages (`locales/*.ftl`, nine languages) and the staff desk
//! (`locales/desk/*.ftl`, the UN's working languages English and French). In each, English is
//! the reference: every other file must hold every English key (a test checks it), and a
//! translation nobody fluent has reviewed says so at its top.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// A language of the reporter's pages.
#[derive(Debug)]
pub struct Lang {
    /// The BCP 47 code, also the `?lang=` value and the folder under `locales/`.
    pub code: &'static str,
    /// Its name in itself, for the switcher.
    pub name: &'static str,
    pub right_to_left: bool,
    source: &'static str,
}

/// The languages, in the switcher's order.
pub static LANGS: [Lang; 9] = [
    lang("en", "English", false, include_str!("../locales/en.ftl")),
    lang("fr", "Français", false, include_str!("../locales/fr.ftl")),
    lang("es", "Español", false, include_str!("../locales/es.ftl")),
    lang("ar", "العربية", true, include_str!("../locales/ar.ftl")),
    lang("ru", "Русский", false, include_str!("../locales/ru.ftl")),
    lang("zh", "中文", false, include_str!("../locales/zh.ftl")),
    lang("sw", "Kiswahili", false, include_str!("../locales/sw.ftl")),
    lang("ln", "Lingála", false, include_str!("../locales/ln.ftl")),
    lang("sg", "Sängö", false, include_str!("../locales/sg.ftl")),
];

/// The staff desk's languages.
pub static DESK_LANGS: [Lang; 2] = [
    lang(
        "en",
        "English",
        false,
        include_str!("../locales/desk/en.ftl"),
    ),
    lang(
        "fr",
        "Français",
        false,
        include_str!("../locales/desk/fr.ftl"),
    ),
];

/// Which pages a message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Book {
    Reporter,
    Desk,
}

impl Book {
    pub fn langs(self) -> &'static [Lang] {
        match self {
            Book::Reporter => &LANGS,
            Book::Desk => &DESK_LANGS,
        }
    }
}

const fn lang(code: &'static str, name: &'static str, rtl: bool, source: &'static str) -> Lang {
    Lang {
        code,
        name,
        right_to_left: rtl,
        source,
    }
}

struct Catalog {
    reporter: Vec<FluentBundle<FluentResource>>,
    desk: Vec<FluentBundle<FluentResource>>,
}

/// Parses every language's messages now (at start), rather than at the first page.
pub fn load() {
    catalog();
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        reporter: LANGS.iter().map(bundle).collect(),
        desk: DESK_LANGS.iter().map(bundle).collect(),
    })
}

fn bundle(lang: &Lang) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(lang.source.to_string())
        .unwrap_or_else(|(_, errors)| panic!("locales/{}.ftl: {errors:?}", lang.code));
    let id: LanguageIdentifier = lang.code.parse().expect("a valid language code");
    let english: LanguageIdentifier = "en".parse().expect("a valid language code");
    // English second: its plural rules and formatters stand in where a language has none.
    let mut bundle = FluentBundle::new_concurrent(vec![id, english]);
    // No invisible isolation marks around arguments: pages set their direction themselves,
    // and the marks would end up inside form values.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("locales/{}.ftl: {errors:?}", lang.code));
    bundle
}

/// A language's messages, for one page.
#[derive(Clone, Copy)]
pub struct Tr {
    book: Book,
    index: usize,
}

impl Tr {
    /// The reporter's language whose code is `code`, if it is one of ours.
    pub fn of(code: &str) -> Option<Tr> {
        Tr::of_in(Book::Reporter, code)
    }

    /// The language of `book` whose code is `code`.
    pub fn of_in(book: Book, code: &str) -> Option<Tr> {
        book.langs()
            .iter()
            .position(|l| l.code == code)
            .map(|index| Tr { book, index })
    }

    pub fn english() -> Tr {
        Tr {
            book: Book::Reporter,
            index: 0,
        }
    }

    /// The page's language: the one asked for with `?lang=`, else the first of the browser's
    /// preferences (`Accept-Language`) that we have, else English.
    pub fn negotiate(asked: Option<&str>, accept_language: Option<&str>) -> Tr {
        Tr::negotiate_in(Book::Reporter, asked, accept_language)
    }

    /// As [`Tr::negotiate`], among the languages of `book`.
    pub fn negotiate_in(book: Book, asked: Option<&str>, accept_language: Option<&str>) -> Tr {
        if let Some(tr) = asked.and_then(|code| Tr::of_in(book, code)) {
            return tr;
        }
        let mut preferences: Vec<(f32, &str)> = accept_language
            .unwrap_or_default()
            .split(',')
            .take(16)
            .filter_map(|item| {
                let mut parts = item.trim().split(';');
                let tag = parts.next()?.trim();
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((weight, tag))
            })
            .collect();
        // Stable: among equal weights the browser's order stands.
        preferences.sort_by(|a, b| b.0.total_cmp(&a.0));
        preferences
            .iter()
            .filter(|(weight, _)| *weight > 0.0)
            .find_map(|(_, tag)| {
                let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
                Tr::of_in(book, &primary)
            })
            .unwrap_or(Tr { book, index: 0 })
    }

    pub fn lang(&self) -> &'static Lang {
        &self.book.langs()[self.index]
    }

    pub fn code(&self) -> &'static str {
        self.lang().code
    }

    /// `rtl` or `ltr`, for the page's `dir`.
    pub fn dir(&self) -> &'static str {
        if self.lang().right_to_left {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The message `key`, in this language, or in English if this language lacks it (a test
    /// makes sure none does), or the key itself if English lacks it too.
    pub fn get(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one argument.
    pub fn with(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        let mut args = FluentArgs::new();
        args.set(name, value.to_string());
        self.format(key, Some(&args))
    }

    /// The message `key` with two arguments (a number keeps its plural forms).
    pub fn with2(
        &self,
        key: &str,
        (a, first): (&'static str, impl Into<fluent_bundle::FluentValue<'static>>),
        (b, second): (&'static str, impl Into<fluent_bundle::FluentValue<'static>>),
    ) -> String {
        let mut args = FluentArgs::new();
        args.set(a, first);
        args.set(b, second);
        self.format(key, Some(&args))
    }

    /// A message with a number, so that the language's plural forms apply.
    pub fn count(&self, key: &str, name: &'static str, value: usize) -> String {
        let mut args = FluentArgs::new();
        args.set(name, value);
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundles = match self.book {
            Book::Reporter => &catalog().reporter,
            Book::Desk => &catalog().desk,
        };
        for bundle in [&bundles[self.index], &bundles[0]] {
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned();
            }
        }
        key.to_string()
    }

    /// The message `prefix-code`, for a code of a closed list (a status, a service, a choice).
    pub fn pick(&self, prefix: &str, code: &str) -> String {
        self.get(&format!("{prefix}-{code}"))
    }

    /// The words for a choice answer: yes, no, unknown (I do not know) or unsure.
    pub fn answer(&self, code: &str) -> String {
        self.get(match code {
            "yes" => "yes",
            "no" => "no",
            "unsure" => "safe-unsure",
            _ => "dont-know",
        })
    }

    /// Messages as a JSON object, for the page's script.
    pub fn json(&self, keys: &[&str]) -> String {
        let map: serde_json::Map<String, serde_json::Value> = keys
            .iter()
            .map(|k| (k.to_string(), serde_json::Value::String(self.get(k))))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Every language, for the switcher: (code, name, whether it is this page's).
    pub fn switcher(&self) -> Vec<(&'static str, &'static str, bool)> {
        self.book
            .langs()
            .iter()
            .enumerate()
            .map(|(i, l)| (l.code, l.name, i == self.index))
            .collect()
    }
}

/// The message keys of a Fluent file, in order (for the completeness test).
pub fn keys_of(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| !line.starts_with([' ', '#', '\t']) && line.contains(" ="))
        .filter_map(|line| line.split(" =").next())
        .map(|key| key.trim().to_string())
        .filter(|key| !key.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOKS: [Book; 2] = [Book::Reporter, Book::Desk];

    #[test]
    fn every_language_has_every_english_message_and_nothing_else() {
        for book in BOOKS {
            every_message_in(book);
        }
    }

    fn every_message_in(book: Book) {
        let langs = book.langs();
        let english = keys_of(langs[0].source);
        assert!(english.len() > 50, "{}", english.len());
        for lang in &langs[1..] {
            let keys = keys_of(lang.source);
            let missing: Vec<&String> = english.iter().filter(|k| !keys.contains(k)).collect();
            assert!(
                missing.is_empty(),
                "locales/{}.ftl lacks {missing:?}",
                lang.code
            );
            let extra: Vec<&String> = keys.iter().filter(|k| !english.contains(k)).collect();
            assert!(
                extra.is_empty(),
                "locales/{}.ftl has unknown {extra:?}",
                lang.code
            );
            // Parsing and formatting every message finds syntax errors and missing references.
            let tr = Tr::of_in(book, lang.code).unwrap();
            for key in &english {
                let text = tr.format(key, Some(&sample_args()));
                assert!(!text.is_empty() && text != *key, "{}: {key}", lang.code);
            }
        }
    }

    #[test]
    fn every_language_is_translated_not_copied() {
        for book in BOOKS {
            translated_not_copied(book);
        }
    }

    fn translated_not_copied(book: Book) {
        let langs = book.langs();
        let english: Vec<String> = keys_of(langs[0].source);
        let en = Tr::of_in(book, "en").unwrap();
        for lang in &langs[1..] {
            let tr = Tr::of_in(book, lang.code).unwrap();
            let same: Vec<&String> = english.iter().filter(|k| tr.get(k) == en.get(k)).collect();
            // A few messages may rightly read the same (a name, a number).
            assert!(
                same.len() * 10 <= english.len(),
                "locales/{}.ftl leaves {} of {} messages in English: {same:?}",
                lang.code,
                same.len(),
                english.len()
            );
        }
    }

    #[test]
    fn translations_nobody_fluent_reviewed_say_so() {
        for lang in LANGS[1..].iter().chain(&DESK_LANGS[1..]) {
            assert!(
                lang.source
                    .lines()
                    .take(5)
                    .any(|l| l.starts_with("# Review:")),
                "locales/{}.ftl must say at its top whether a fluent speaker reviewed it",
                lang.code
            );
        }
    }

    #[test]
    fn every_key_a_template_uses_is_in_english() {
        every_template_key_in(Book::Reporter, "/templates", 40);
        every_template_key_in(Book::Desk, "/templates/desk", 40);
    }

    fn every_template_key_in(book: Book, folder: &str, at_least: usize) {
        let english = keys_of(book.langs()[0].source);
        let templates = std::fs::read_dir(format!("{}{folder}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let mut used = 0;
        for quote in ["t.get(\"", "t.with(\""] {
            for piece in templates.split(quote).skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(
                    english.contains(&key.to_string()),
                    "templates{folder} use {key}"
                );
                used += 1;
            }
        }
        assert!(
            used > at_least,
            "templates{folder} translate their text ({used} keys found)"
        );
    }

    #[test]
    fn the_browser_preference_picks_a_language_and_the_switcher_wins() {
        assert_eq!(
            Tr::negotiate(None, Some("fr-CA,fr;q=0.9,en;q=0.5")).code(),
            "fr"
        );
        assert_eq!(Tr::negotiate(None, Some("de, ar;q=0.7")).code(), "ar");
        assert_eq!(Tr::negotiate(None, Some("en;q=0.2, sw;q=0.8")).code(), "sw");
        assert_eq!(Tr::negotiate(None, Some("xx")).code(), "en");
        assert_eq!(Tr::negotiate(None, None).code(), "en");
        assert_eq!(Tr::negotiate(Some("ln"), Some("fr")).code(), "ln");
        assert_eq!(Tr::negotiate(Some("<script>"), Some("fr")).code(), "fr");
        assert_eq!(Tr::of("ar").unwrap().dir(), "rtl");
    }

    fn sample_args() -> FluentArgs<'static> {
        let mut args = FluentArgs::new();
        for name in ["max", "count", "date"] {
            args.set(name, "3");
        }
        args
    }
}
