//! Documents typeset in-process: one `.typ` source (already merged by Tera, every value escaped
//! by `escape::markup`) becomes the bytes of one PDF, with Typst linked as a library.
//!
//! It owns the Typst world letterpost compiles in: the fonts (Tinos, Times New Roman's metric
//! clone with every Vietnamese letter, built into the binary under the SIL OFL, plus any font
//! files the campaign names, which come first), the files a document may read (images beside
//! its template, inside the campaign folder only, each read once per run), and the document's
//! date, taken from the run's date so that the same inputs and `SOURCE_DATE_EPOCH` give the same
//! bytes. The source is normalised to NFC before it is parsed, so the PDF's text extracts as
//! NFC whatever the template file's form.
//!
//! It does not render templates (that is `merge`), decide which documents a letter carries, or
//! sign anything. No other program runs, and nothing is fetched: a `#import "@preview/…"`
//! package is an error.

pub mod escape;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};
use unicode_normalization::UnicodeNormalization;

/// The font faces built into the binary: Tinos Regular, Bold, Italic and Bold Italic (Debian
/// `fonts-croscore`), licensed under the SIL Open Font License 1.1 (`assets/fonts/OFL.txt`).
const TINOS: [&[u8]; 4] = [
    include_bytes!("../../assets/fonts/Tinos-Regular.ttf"),
    include_bytes!("../../assets/fonts/Tinos-Bold.ttf"),
    include_bytes!("../../assets/fonts/Tinos-Italic.ttf"),
    include_bytes!("../../assets/fonts/Tinos-BoldItalic.ttf"),
];

/// A typesetting failure: Typst's message, and where in the merged source it is (1-based line
/// and position), when Typst says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub line: Option<u64>,
    pub position: Option<u64>,
}

/// Fonts, library and files, loaded once per run and shared by every document of the run.
pub struct Typesetter {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    /// The campaign folder: a document's own files (an image beside its template) are read
    /// from inside it, never from outside.
    root: PathBuf,
    /// Files read so far, by Typst's id for them: each is read once per run.
    files: Mutex<HashMap<FileId, FileResult<Bytes>>>,
    /// The run's date, the document's creation date and `datetime.today()`.
    date: Datetime,
}

impl Typesetter {
    /// The built-in fonts, after the font files in `extra_fonts` (an office's own Times New
    /// Roman, say), which a template that asks for their family gets first. `root` is the
    /// campaign folder; `date` is the run's date.
    pub fn new(root: &Path, extra_fonts: &[(PathBuf, Vec<u8>)], date: SystemTime) -> Self {
        let mut book = FontBook::new();
        let mut fonts = Vec::new();
        let extra = extra_fonts.iter().map(|(_, bytes)| bytes.as_slice());
        for data in extra.chain(TINOS.iter().copied()) {
            for font in Font::iter(Bytes::new(data.to_vec())) {
                book.push(font.info().clone());
                fonts.push(font);
            }
        }
        Typesetter {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(book),
            fonts,
            root: root.to_path_buf(),
            files: Mutex::new(HashMap::new()),
            date: datetime(date),
        }
    }

    /// Whether a font file holds at least one face Typst can use.
    pub fn is_font(bytes: &[u8]) -> bool {
        Font::iter(Bytes::new(bytes.to_vec())).next().is_some()
    }

    /// Typesets `source`, the merged text of the template at `path` (relative to the campaign
    /// folder, `/`-separated: relative file names in the document resolve against it), into
    /// PDF bytes. `ident` names the document stably across runs (campaign, key, attachment), so
    /// that the PDF's identifier does too.
    pub fn pdf(&self, path: &str, source: &str, ident: &str) -> Result<Vec<u8>, Failure> {
        let vpath =
            VirtualPath::new(format!("/{}", path.trim_start_matches('/'))).map_err(|e| {
                Failure {
                    message: e.to_string(),
                    line: None,
                    position: None,
                }
            })?;
        let main = RootedPath::new(VirtualRoot::Project, vpath).intern();
        let text: String = source.nfc().collect();
        let world = Letter {
            typesetter: self,
            main: Source::new(main, text),
        };
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|errors| world.failure(&errors))?;
        let options = PdfOptions {
            ident: Smart::Custom(ident.to_owned()),
            creator: Smart::Custom(Some(format!("letterpost {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Some(Timestamp::new_utc(self.date)),
            ..PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&document, &options).map_err(|errors| world.failure(&errors));
        // Typst memoises layouts between documents; what no recent document used is let go,
        // so a run of 10,000 letters holds no more than a few letters' worth.
        comemo::evict(4);
        pdf
    }
}

/// The world one document is compiled in: the run's typesetter and this document's source.
struct Letter<'a> {
    typesetter: &'a Typesetter,
    main: Source,
}

impl Letter<'_> {
    /// Typst's first error as a failure, placed in the main source when it is there.
    fn failure(&self, errors: &[SourceDiagnostic]) -> Failure {
        let Some(error) = errors
            .iter()
            .find(|e| e.severity == Severity::Error)
            .or(errors.first())
        else {
            return Failure {
                message: "typst failed without saying why".to_owned(),
                line: None,
                position: None,
            };
        };
        let mut message = error.message.to_string();
        for hint in &error.hints {
            message.push_str("; ");
            message.push_str(&hint.v);
        }
        let place = (error.span.id() == Some(self.main.id()))
            .then(|| self.range(error.span))
            .flatten()
            .and_then(|range| self.main.lines().byte_to_line_column(range.start));
        Failure {
            message,
            line: place.map(|(line, _)| line as u64 + 1),
            position: place.map(|(_, column)| column as u64 + 1),
        }
    }

    fn read(&self, id: FileId) -> FileResult<Bytes> {
        let VirtualRoot::Project = id.root() else {
            return Err(FileError::Other(Some(
                "packages are not available: letterpost fetches nothing".into(),
            )));
        };
        let path = id
            .vpath()
            .realize(&self.typesetter.root)
            .map_err(FileError::Realize)?;
        let mut files = self.typesetter.files.lock().expect("no panic holds it");
        files
            .entry(id)
            .or_insert_with(|| match std::fs::read(&path) {
                Ok(bytes) => Ok(Bytes::new(bytes)),
                Err(e) => Err(FileError::from_io(e, &path)),
            })
            .clone()
    }
}

impl World for Letter<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.typesetter.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.typesetter.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        let bytes = self.read(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.nfc().collect()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.read(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.typesetter.fonts.get(index).cloned()
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        // The run's date in UTC; a document that asks for another offset gets the same date,
        // so that every document of a run says the same day.
        let _ = offset;
        Some(self.typesetter.date)
    }
}

/// A system time as Typst's date and time, in UTC.
fn datetime(time: SystemTime) -> Datetime {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let at = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH));
    Datetime::from_ymd_hms(
        at.year() as i32,
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
    )
    .expect("a calendar date")
}
