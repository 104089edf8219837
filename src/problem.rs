//! A problem found in the campaign's input, located the way an editor locates it: file, line and
//! the column in that line (in a template), or file, line and CSV column (a header name).
//!
//! Stages return problems as values so that a whole batch can be checked and every problem
//! reported at once before anything is sent. This module only describes and formats them; it
//! decides nothing about what happens next.

use std::fmt;

/// One thing wrong with the input. Displayed as `file:line: column `x`: message` (a CSV cell)
/// or `file:line:position: message` (a place in a template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the operator should see it (relative to the campaign folder when inside it).
    pub file: String,
    /// The physical line, 1-based, as an editor shows it (the CSV header is line 1).
    pub line: Option<u64>,
    /// The place in that line, 1-based, in characters, as an editor shows it.
    pub position: Option<u64>,
    /// The CSV column (header name) concerned.
    pub column: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            line: None,
            position: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u64) -> Problem {
        self.line = Some(line);
        self
    }

    /// At `line`, the `position`th character (both 1-based).
    pub fn at(mut self, line: u64, position: u64) -> Problem {
        self.line = Some(line);
        self.position = Some(position);
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
            if let Some(position) = self.position {
                write!(f, ":{position}")?;
            }
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
        assert_eq!(
            Problem::new("templates/letter.txt", "the variable `x` is unknown")
                .at(12, 7)
                .to_string(),
            "templates/letter.txt:12:7: the variable `x` is unknown"
        );
    }
}
