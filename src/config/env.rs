//! The environment letterpost reads, taken once: the `LETTERPOST_*` settings and passwords,
//! `SOURCE_DATE_EPOCH`, and `USER`/`LOGNAME` for the name a send records as its operator.
//!
//! Everything in `config` reads the environment through an `Env`, so a test gives it a fixed
//! one instead of changing the process's. It does not interpret the values. (The language
//! variables, RUST_LOG and NO_COLOR are read by `i18n` and `main` before any campaign exists.)

/// The environment, or a fixed one in tests. An empty value counts as unset.
#[derive(Clone, Default)]
pub struct Env(Vec<(String, String)>);

/// The names only: the values include the passwords.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Env {
    /// The variables of this process that letterpost reads.
    pub fn process() -> Env {
        // `vars_os`: one variable that is not UTF-8, letterpost's or not, must not end the run.
        Env(std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| Env::read(k))
            .collect())
    }

    /// A fixed environment.
    #[cfg(test)]
    pub fn of(vars: &[(&str, &str)]) -> Env {
        Env(vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect())
    }

    fn read(name: &str) -> bool {
        name.starts_with("LETTERPOST_") || matches!(name, "SOURCE_DATE_EPOCH" | "USER" | "LOGNAME")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A password variable: set (even to nothing) means given, as the shell makes an empty
    /// password `LETTERPOST_SMTP_PASSWORD=`.
    pub fn password(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
