//! Lowercase hex SHA-256, the one fingerprint letterpost writes: of inputs, templates, messages,
//! archived reports and the log's salt.
//!
//! A leaf: it uses no other module, so every stage can name what it read by the same hash
//! without depending on the stage that builds messages.

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_lowercase_hex_sha256() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
