//! The delivery log's chain rule (README, "The chain rule"), implemented here independently of
//! the program, for tests that edit a log the way a forger who knows the rule would.

use super::sha256;

/// The 64 zeros the first line's `prev` holds.
pub fn genesis() -> String {
    "0".repeat(64)
}

/// The `hash` a sealed line ends with.
pub fn hash_of(line: &str) -> String {
    let at = line
        .rfind(",\"hash\":\"")
        .unwrap_or_else(|| panic!("no hash: {line}"));
    line[at + 9..at + 9 + 64].to_owned()
}

/// Seals one record: sets `prev`, removes any old `hash`, and appends
/// `,"hash":"<hex(SHA-256(prev || B))>"` to the bytes `B` that remain.
pub fn seal(line: &str, prev: &str) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let map = value.as_object_mut().expect("a record is a JSON object");
    map.remove("hash");
    map.insert("prev".into(), prev.into());
    let body = serde_json::to_string(&value).unwrap();
    let hash = sha256(format!("{prev}{body}").as_bytes());
    format!("{},\"hash\":\"{hash}\"}}", &body[..body.len() - 1])
}

/// Re-seals `lines[from..]` so that the whole list holds under the chain rule again: each line's
/// `seq` becomes its index and its `prev` the hash of the line before it.
pub fn reseal(lines: &mut [String], from: usize) {
    let mut prev = if from == 0 {
        genesis()
    } else {
        hash_of(&lines[from - 1])
    };
    for (i, line) in lines.iter_mut().enumerate().skip(from) {
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        value
            .as_object_mut()
            .unwrap()
            .insert("seq".into(), (i as u64).into());
        *line = seal(&serde_json::to_string(&value).unwrap(), &prev);
        prev = hash_of(line);
    }
}
