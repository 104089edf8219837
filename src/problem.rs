//! A problem found in the campaign's input, located the way an editor or a spreadsheet locates
//! it: file, line and the position in that line (in a template), or file, line and column (a
//! header name); in a workbook, the sheet and the cell (`Danh sách!C14`) or row.
//!
//! The places' words (`column`, `row`) are in the chosen language; the message is written by
//! the stage that found the problem, in that language too.
//!
//! Stages return problems as values so that a whole batch can be checked and every problem
//! reported at once before anything is sent. This module only describes and formats them; it
//! decides nothing about what happens next.

use std::fmt;

/// One thing wrong with the input. Displayed as `file:line: column `x`: message` (a CSV cell),
/// `file:line:position: message` (a place in a template), or for a workbook as
/// `file: Sheet!C14: column `x`: message` (a cell) or `file: Sheet, row 14: message` (a row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the operator should see it (relative to the campaign folder when inside it).
    pub file: String,
    /// The physical line, 1-based, as an editor shows it (the CSV header is line 1); in a
    /// workbook, the row number the spreadsheet shows.
    pub line: Option<u64>,
    /// The place in that line, 1-based, in characters, as an editor shows it.
    pub position: Option<u64>,
    /// The column (header name) concerned.
    pub column: Option<String>,
    /// In a workbook: the sheet, and the letters of the cell's column (`C`) when the problem is
    /// in one cell. (Boxed: problems travel in `Result`s, and most have no sheet.)
    pub sheet: Option<Box<SheetPlace>>,
    pub message: String,
}

/// Where in a workbook a problem is: the sheet as its tab names it, and the cell's column
/// letters, as the spreadsheet writes them in a cell reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetPlace {
    pub sheet: String,
    pub column_letters: Option<String>,
}

impl Problem {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            line: None,
            position: None,
            column: None,
            sheet: None,
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

    /// In this sheet of a workbook; `column_letters` (`C`) when the problem is in one cell.
    pub fn in_sheet(mut self, sheet: impl Into<String>, column_letters: Option<String>) -> Problem {
        self.sheet = Some(Box::new(SheetPlace {
            sheet: sheet.into(),
            column_letters,
        }));
        self
    }
}

impl Problem {
    /// Where the problem is, without words that follow the language: `file:line:position`, or
    /// in a workbook `file: Sheet!C14` (a cell) or `file: Sheet!14:14` (a row), as a
    /// spreadsheet writes references. For records, which never change with the language.
    pub fn place(&self) -> String {
        self.located(|sheet, row| format!("{sheet}!{row}:{row}"))
    }

    /// The file and where in it, with `whole_row` naming a row of a sheet that no one cell is
    /// to blame for.
    fn located(&self, whole_row: impl Fn(&str, u64) -> String) -> String {
        let mut place = self.file.clone();
        match (&self.sheet, self.line) {
            (Some(at), Some(row)) => match &at.column_letters {
                Some(letters) => place.push_str(&format!(": {}!{letters}{row}", at.sheet)),
                None => place.push_str(&format!(": {}", whole_row(&at.sheet, row))),
            },
            (Some(at), None) => place.push_str(&format!(": {}", at.sheet)),
            (None, Some(line)) => {
                place.push_str(&format!(":{line}"));
                if let Some(position) = self.position {
                    place.push_str(&format!(":{position}"));
                }
            }
            (None, None) => {}
        }
        place
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = self.located(|sheet, row| t!("problem-sheet-row", sheet = sheet, row = row));
        write!(f, "{place}: ")?;
        if let Some(column) = &self.column {
            write!(f, "{}: ", t!("problem-column", column = column))?;
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

    #[test]
    fn a_place_has_no_words() {
        let file = "recipients/danh-sach.xlsx";
        let cell = Problem::new(file, "x")
            .at_line(14)
            .in_column("email")
            .in_sheet("Danh sách", Some("C".into()));
        assert_eq!(cell.place(), "recipients/danh-sach.xlsx: Danh sách!C14");
        let row = Problem::new(file, "x")
            .at_line(14)
            .in_sheet("Danh sách", None);
        assert_eq!(row.place(), "recipients/danh-sach.xlsx: Danh sách!14:14");
        let template = Problem::new("templates/letter.txt", "x").at(12, 7);
        assert_eq!(template.place(), "templates/letter.txt:12:7");
    }

    #[test]
    fn displays_like_a_spreadsheet_reference_in_a_workbook() {
        let file = "recipients/danh-sach.xlsx";
        let cell = Problem::new(file, "`x@` is not an email address")
            .at_line(14)
            .in_column("email")
            .in_sheet("Danh sách", Some("C".into()));
        assert_eq!(
            cell.to_string(),
            "recipients/danh-sach.xlsx: Danh sách!C14: column `email`: `x@` is not an email address"
        );
        let row = Problem::new(file, "cannot render")
            .at_line(14)
            .in_sheet("Danh sách", None);
        assert_eq!(
            row.to_string(),
            "recipients/danh-sach.xlsx: Danh sách, row 14: cannot render"
        );
        let sheet = Problem::new(file, "no recipients").in_sheet("Danh sách", None);
        assert_eq!(
            sheet.to_string(),
            "recipients/danh-sach.xlsx: Danh sách: no recipients"
        );
    }
}
