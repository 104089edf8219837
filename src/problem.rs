//! A problem found in the campaign's input, located the way an editor locates it: file, line,
//! column (a CSV header name) or template.
//!
//! Stages return problems as values so that a whole batch can be checked and every problem
//! reported at once before anything is sent. This module only describes and formats them; it
//! decides nothing about what happens next.

use std::fmt;

/// One thing wrong with the input. Displayed as `file:line: column `x`: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the operator should see it (relative to the campaign folder when inside it).
    pub file: String,
    /// The physical line, 1-based, as an editor shows it (the CSV header is line 1).
    pub line: Option<u64>,
    /// The CSV column (header name) or the template variable concerned.
    pub column: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u64) -> Problem {
        self.line = Some(line);
        self
    }

    pub fn in_column(mut self, column: impl Into<String>) -> Problem {
        self.column = Some(column.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(column) = &self.column {
            write!(f, "column `{column}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::Problem;

    #[test]
    fn displays_like_an_editor_location() {
        let p = Problem::new("recipients/a.csv", "`x@` is not an email address")
            .at_line(7)
            .in_column("email");
        assert_eq!(
            p.to_string(),
            "recipients/a.csv:7: column `email`: `x@` is not an email address"
        );
        assert_eq!(
            Problem::new("campaign.toml", "bad").to_string(),
            "campaign.toml: bad"
        );
    }
}
