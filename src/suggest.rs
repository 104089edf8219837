//! "Did you mean …?": the known name a person most likely meant when they typed one that is not
//! known (a template variable, a header name).
//!
//! Pure: it compares strings and decides nothing about what is wrong.

/// The candidate closest to `word`, when it is close enough to be what was meant: the same but
/// for letter case, or within a few edits (insertions, deletions, substitutions or swaps of two
/// neighbouring letters: one per four letters of `word`, at least one and at most three). Among
/// equally close candidates, the first.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 4).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&lower, &candidate.to_lowercase());
            (distance, candidate)
        })
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::closest;

    const COLUMNS: [&str; 6] = ["id", "organisation", "email", "cc", "so_van_ban", "ngay_ky"];

    #[test]
    fn suggests_the_name_a_typo_came_from() {
        for (typed, meant) in [
            ("organsation", "organisation"),
            ("orgnisation", "organisation"),
            ("organization", "organisation"),
            ("emial", "email"),
            ("Email", "email"),
            ("so_van_bn", "so_van_ban"),
            ("ngay_kyy", "ngay_ky"),
        ] {
            assert_eq!(closest(typed, COLUMNS), Some(meant), "{typed}");
        }
    }

    #[test]
    fn suggests_nothing_when_nothing_is_close() {
        for typed in ["contact_person", "x", "phone", "organisation"] {
            assert_eq!(closest(typed, COLUMNS), None, "{typed}");
        }
    }

    #[test]
    fn the_first_of_equally_close_names_wins() {
        assert_eq!(closest("ab", ["ac", "ad"]), Some("ac"));
    }
}
