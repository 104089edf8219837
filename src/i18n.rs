//! The language people read letterpost in: Vietnamese or English, chosen once at start-up, and
//! the `t!` macro that looks a message up in the Fluent files of `locales/` (built into the
//! binary).
//!
//! It owns the choice of language (`--lang`, then `LETTERPOST_LANG`, then the locale, then
//! English) and the lookup. It does not decide what is said: each module names its messages by
//! key, and the words live in `locales/en/*.ftl` and `locales/vi/*.ftl`. What a machine reads
//! never passes through here: log records, export column names, exit codes, and the server's
//! own replies stay as they are, whatever the language.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Fluent wraps every argument in Unicode isolation marks, meant for mixing scripts in a
        // GUI; on a terminal they are invisible bytes that break copying a path or a key.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static VI: LanguageIdentifier = langid!("vi");

/// A language letterpost speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Tiếng Việt.
    Vi,
    /// English.
    En,
}

impl Lang {
    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// A language named the way `LETTERPOST_LANG` or a locale names it: `vi`, `vi_VN.UTF-8`,
    /// `en-GB`, `en_US@euro`. The C and POSIX locales are English. `None` for anything else.
    pub fn from_name(name: &str) -> Option<Lang> {
        let name = name.trim();
        let language = name
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match language.as_str() {
            "vi" => Some(Lang::Vi),
            "en" | "c" | "posix" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Where the language came from, so an unusable `LETTERPOST_LANG` can be told once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub lang: Lang,
    /// `LETTERPOST_LANG`'s value when it names no language letterpost speaks (it was skipped).
    pub unknown_setting: Option<String>,
}

/// The language: `--lang` (`flag`), else `LETTERPOST_LANG`, else the locale (`LC_ALL`, then
/// `LC_MESSAGES`, then `LANG`, the first that is set and not empty, as POSIX orders them; a
/// locale other than Vietnamese or English means English), else English. `env` reads a variable.
pub fn choose(flag: Option<Lang>, env: impl Fn(&str) -> Option<String>) -> Choice {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let mut unknown_setting = None;
    if let Some(lang) = flag {
        return Choice {
            lang,
            unknown_setting,
        };
    }
    if let Some(value) = set("LETTERPOST_LANG") {
        match Lang::from_name(&value) {
            Some(lang) => {
                return Choice {
                    lang,
                    unknown_setting,
                };
            }
            None => unknown_setting = Some(value),
        }
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|v| set(v));
    let lang = locale.and_then(|l| Lang::from_name(&l)).unwrap_or(Lang::En);
    Choice {
        lang,
        unknown_setting,
    }
}

/// `--lang vi`, `--lang=vi` in the arguments, read before clap so that `--help` can be built in
/// the chosen language. A value that is not a language is left for clap to refuse.
pub fn flag_in(args: &[std::ffi::OsString]) -> Option<Lang> {
    let mut args = args.iter().skip(1).map(|a| a.to_string_lossy());
    let mut found = None;
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let value = if arg == "--lang" {
            args.next()
        } else {
            arg.strip_prefix("--lang=")
                .map(|v| Cow::Owned(v.to_owned()))
        };
        if let Some(value) = value {
            found = match value.as_ref() {
                "vi" => Some(Lang::Vi),
                "en" => Some(Lang::En),
                _ => found,
            };
        }
    }
    found
}

static CHOSEN: OnceLock<Lang> = OnceLock::new();

/// Sets the language for the rest of the process (the first call wins).
pub fn set(lang: Lang) {
    let _ = CHOSEN.set(lang);
}

/// The language chosen at start-up; English until one is set.
pub fn current() -> Lang {
    CHOSEN.get().copied().unwrap_or(Lang::En)
}

/// A value for a message's `{ $name }`: numbers stay numbers, so that Fluent can choose the
/// plural form (`1 letter`, `2 letters`).
pub struct Arg(FluentValue<'static>);

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Arg {
                Arg(FluentValue::from(n))
            }
        }
    )*};
}
number_args!(u8, u16, u32, u64, usize, i32, i64);

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg(FluentValue::from(s.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg(FluentValue::from(s))
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg(FluentValue::from(s.clone()))
    }
}

impl From<Cow<'_, str>> for Arg {
    fn from(s: Cow<'_, str>) -> Arg {
        Arg(FluentValue::from(s.into_owned()))
    }
}

impl From<std::path::Display<'_>> for Arg {
    fn from(path: std::path::Display<'_>) -> Arg {
        Arg(FluentValue::from(path.to_string()))
    }
}

/// The message `key` in the current language, with `args` in its placeholders. A key missing
/// from the current language falls back to English; one missing from both shows as the key
/// itself (the `every_key_in_code_exists_in_both_languages` test keeps that from shipping).
pub fn text(key: &str, args: Vec<(&'static str, Arg)>) -> String {
    text_in(current(), key, args)
}

/// The message `key` in `lang`.
pub fn text_in(lang: Lang, key: &str, args: Vec<(&'static str, Arg)>) -> String {
    let found = if args.is_empty() {
        LOCALES.try_lookup(lang.id(), key)
    } else {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .into_iter()
            .map(|(name, Arg(value))| (Cow::Borrowed(name), value))
            .collect();
        LOCALES.try_lookup_with_args(lang.id(), key, &args)
    };
    found.unwrap_or_else(|| key.to_owned())
}

/// The message `key`, without arguments, in the current language; `None` when neither it nor
/// English has one (for texts whose key is made at run time, like the help of each argument).
pub fn lookup(key: &str) -> Option<String> {
    LOCALES.try_lookup(current().id(), key)
}

/// The message `key` in `lang` only, without falling back to English.
#[cfg(test)]
pub fn lookup_strictly(lang: Lang, key: &str) -> Option<String> {
    LOCALES
        .lookup_single_language::<&str>(lang.id(), key, None)
        .ok()
}

/// `t!("key")`, `t!("key", name = value, …)`: the message in the current language. Values are
/// strings (`&str`, `String`, a path's `display()`) or integers.
#[macro_export]
macro_rules! t {
    ($key:literal) => {
        $crate::i18n::text($key, Vec::new())
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::text($key, vec![$((stringify!($name), $crate::i18n::Arg::from($value))),+])
    };
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use fluent_syntax::ast;

    use super::{Choice, Lang, choose, flag_in, text_in};

    fn chosen(flag: Option<Lang>, vars: &[(&str, &str)]) -> Choice {
        choose(flag, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn the_flag_then_letterpost_lang_then_the_locale_then_english() {
        let vi = |flag, vars| chosen(flag, vars).lang;
        assert_eq!(vi(None, &[]), Lang::En);
        assert_eq!(vi(None, &[("LANG", "vi_VN.UTF-8")]), Lang::Vi);
        assert_eq!(vi(None, &[("LANG", "C.UTF-8")]), Lang::En);
        assert_eq!(vi(None, &[("LANG", "fr_FR.UTF-8")]), Lang::En);
        // POSIX order: LC_ALL, then LC_MESSAGES, then LANG; an empty one does not count.
        let locale = [
            ("LC_ALL", ""),
            ("LC_MESSAGES", "vi_VN"),
            ("LANG", "en_GB.UTF-8"),
        ];
        assert_eq!(vi(None, &locale), Lang::Vi);
        let all = [("LC_ALL", "en_US.UTF-8"), ("LC_MESSAGES", "vi_VN")];
        assert_eq!(vi(None, &all), Lang::En);
        // LETTERPOST_LANG beats the locale; the flag beats both.
        let both = [("LETTERPOST_LANG", "en"), ("LANG", "vi_VN.UTF-8")];
        assert_eq!(vi(None, &both), Lang::En);
        assert_eq!(vi(Some(Lang::Vi), &both), Lang::Vi);
        assert_eq!(vi(None, &[("LETTERPOST_LANG", "vi-VN")]), Lang::Vi);
    }

    #[test]
    fn an_unknown_letterpost_lang_is_reported_and_the_locale_decides() {
        let choice = chosen(None, &[("LETTERPOST_LANG", "fr"), ("LANG", "vi_VN.UTF-8")]);
        assert_eq!(choice.lang, Lang::Vi);
        assert_eq!(choice.unknown_setting.as_deref(), Some("fr"));
    }

    #[test]
    fn the_flag_is_found_before_clap_parses() {
        let args = |list: &[&str]| list.iter().map(Into::into).collect::<Vec<_>>();
        assert_eq!(
            flag_in(&args(&["lp", "--lang", "vi", "check"])),
            Some(Lang::Vi)
        );
        assert_eq!(flag_in(&args(&["lp", "send", "--lang=en"])), Some(Lang::En));
        assert_eq!(flag_in(&args(&["lp", "--lang", "xx"])), None);
        assert_eq!(
            flag_in(&args(&["lp", "log", "show", "--", "--lang=vi"])),
            None
        );
    }

    #[test]
    fn arguments_carry_no_invisible_isolation_marks_and_numbers_choose_plurals() {
        let found = |count: u64| {
            let args = vec![("count", count.into()), ("what_happened", "x".into())];
            text_in(Lang::En, "report-problems-found", args)
        };
        assert_eq!(found(1), "1 problem found; x");
        assert_eq!(found(2), "2 problems found; x");
        let vi = text_in(
            Lang::Vi,
            "main-using",
            vec![("file", "a/campaign.toml".into())],
        );
        assert_eq!(vi, "lưu ý: dùng a/campaign.toml");
    }

    /// Every message of `locales/<lang>/`, by file, with the variables it uses.
    fn messages(lang: &str) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            let resource = fluent_syntax::parser::parse(source.as_str())
                .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", path.display()));
            let mut found = BTreeMap::new();
            for entry in &resource.body {
                if let ast::Entry::Message(message) = entry {
                    let mut variables = BTreeSet::new();
                    if let Some(pattern) = &message.value {
                        variables_in(pattern, &mut variables);
                    }
                    found.insert(message.id.name.to_owned(), variables);
                }
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, found);
        }
        files
    }

    fn variables_in(pattern: &ast::Pattern<&str>, into: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, into);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, into: &mut BTreeSet<String>) {
        let inline = |e: &ast::InlineExpression<&str>, into: &mut BTreeSet<String>| match e {
            ast::InlineExpression::VariableReference { id } => {
                into.insert(id.name.to_owned());
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, into)
            }
            _ => {}
        };
        match expression {
            ast::Expression::Inline(e) => inline(e, into),
            ast::Expression::Select { selector, variants } => {
                inline(selector, into);
                for variant in variants {
                    variables_in(&variant.value, into);
                }
            }
        }
    }

    /// The two languages have the same files, the same messages in each, and each message the
    /// same variables: a translation can neither lose a message nor drop the file name from one.
    #[test]
    fn both_languages_have_the_same_messages_with_the_same_variables() {
        let (en, vi) = (messages("en"), messages("vi"));
        assert_eq!(en.keys().collect::<Vec<_>>(), vi.keys().collect::<Vec<_>>());
        for (file, english) in &en {
            let vietnamese = &vi[file];
            let only = |a: &BTreeMap<_, _>, b: &BTreeMap<_, _>| {
                a.keys()
                    .filter(|k| !b.contains_key(*k))
                    .cloned()
                    .collect::<Vec<String>>()
            };
            assert!(
                only(english, vietnamese).is_empty(),
                "{file}: only in en: {:?}",
                only(english, vietnamese)
            );
            assert!(
                only(vietnamese, english).is_empty(),
                "{file}: only in vi: {:?}",
                only(vietnamese, english)
            );
            for (key, variables) in english {
                assert_eq!(
                    variables, &vietnamese[key],
                    "{file}: {key}'s variables differ"
                );
            }
        }
    }

    /// The keys `t!` names in the source, each with the variables it passes.
    fn keys_in_code() -> BTreeMap<String, BTreeSet<String>> {
        let mut keys = BTreeMap::new();
        let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    // Not the examples in comments.
                    let code: String = source
                        .lines()
                        .filter(|line| !line.trim_start().starts_with("//"))
                        .flat_map(|line| [line, "\n"])
                        .collect();
                    let calls = code.match_indices("t!(").filter(|(at, _)| {
                        // `t!(`, not the end of `assert!(` or `print!(`.
                        !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    for (at, _) in calls {
                        let call = code[at + 3..].trim_start();
                        let Some(rest) = call.strip_prefix('"') else {
                            continue;
                        };
                        let Some(end) = rest.find('"') else { continue };
                        let key = &rest[..end];
                        if key.is_empty()
                            || !key
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        {
                            continue;
                        }
                        let args = arguments_of(&rest[end + 1..]);
                        keys.entry(key.to_owned())
                            .or_insert_with(BTreeSet::new)
                            .extend(args);
                    }
                }
            }
        }
        keys
    }

    /// The names given in `, name = value, …)` up to the call's closing parenthesis.
    fn arguments_of(after_key: &str) -> Vec<String> {
        let mut depth = 0usize;
        let mut end = after_key.len();
        for (i, c) in after_key.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => {
                    end = i;
                    break;
                }
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        let call = &after_key[..end];
        let mut names = Vec::new();
        let mut depth = 0usize;
        let mut piece = String::new();
        for c in call.chars().chain(std::iter::once(',')) {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if c == ',' && depth == 0 {
                if let Some((name, _)) = piece.split_once('=') {
                    let name = name.trim();
                    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        names.push(name.to_owned());
                    }
                }
                piece.clear();
            } else {
                piece.push(c);
            }
        }
        names
    }

    /// Every `t!` key exists in English (and so, by the test above, in Vietnamese), is given
    /// every variable its message uses, and every message outside the help is used.
    #[test]
    fn every_key_in_code_exists_in_both_languages_with_its_variables() {
        let english: BTreeMap<String, BTreeSet<String>> =
            messages("en").into_values().flatten().collect();
        let used = keys_in_code();
        for (key, given) in &used {
            let Some(wanted) = english.get(key) else {
                panic!("t!(\"{key}\") has no message in locales/en");
            };
            let lacking: Vec<_> = wanted.difference(given).collect();
            assert!(
                lacking.is_empty(),
                "t!(\"{key}\") does not give {lacking:?}"
            );
        }
        let unused: Vec<_> = english
            .keys()
            .filter(|k| !k.starts_with("cli-") && !used.contains_key(*k))
            .collect();
        assert!(unused.is_empty(), "messages no code uses: {unused:?}");
    }
}
