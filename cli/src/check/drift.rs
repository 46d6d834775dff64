//! Does a checked-in tree equal what the generator writes? `flowmeter rules --check` and the
//! repository's drift test both ask this.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::GeneratedFile;

/// The directories whose every file must be generated: a file there that the generator does
/// not write is stale.
pub const GENERATED_DIRS: &[&str] = &["rules", "dashboards"];

/// One difference between a directory and the generator's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Generated, but absent from the directory.
    Missing(PathBuf),
    /// Present with different contents.
    Differs(PathBuf),
    /// In a [`GENERATED_DIRS`] directory, but not generated (a stale or hand-written file).
    Extra(PathBuf),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "{}: missing (the generator writes it)", p.display()),
            Drift::Differs(p) => write!(f, "{}: differs from the generator's output", p.display()),
            Drift::Extra(p) => write!(f, "{}: not written by the generator (stale?)", p.display()),
        }
    }
}

/// Compares `dir` with `files` byte for byte; paths in the result are relative to `dir`.
/// Files outside [`GENERATED_DIRS`] that the generator does not write (a README, promtool
/// tests, an objectives file) are not reported; dot-files are ignored.
pub fn drift(dir: &Path, files: &[GeneratedFile]) -> io::Result<Vec<Drift>> {
    let mut out = Vec::new();
    for file in files {
        match std::fs::read(dir.join(&file.path)) {
            Ok(bytes) if bytes == file.contents.as_bytes() => {}
            Ok(_) => out.push(Drift::Differs(file.path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                out.push(Drift::Missing(file.path.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    let generated: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    for sub in GENERATED_DIRS {
        let entries = match std::fs::read_dir(dir.join(sub)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let mut extra = Vec::new();
        for entry in entries {
            let entry = entry?;
            let relative = Path::new(sub).join(entry.file_name());
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if entry.file_type()?.is_file() && !hidden && !generated.contains(relative.as_path()) {
                extra.push(relative);
            }
        }
        extra.sort();
        out.extend(extra.into_iter().map(Drift::Extra));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_missing_differing_and_extra_files() {
        let dir = std::env::temp_dir().join(format!("flowmeter-drift-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("rules")).unwrap();
        std::fs::write(dir.join("rules/a.yml"), "old").unwrap();
        std::fs::write(dir.join("rules/stale.yml"), "x").unwrap();
        std::fs::write(dir.join("rules/.keep"), "").unwrap();
        std::fs::write(dir.join("README.md"), "docs").unwrap();
        let file = |path: &str, contents: &str| GeneratedFile {
            path: path.into(),
            contents: contents.into(),
        };
        let files = [file("rules/a.yml", "new"), file("prometheus.yml", "p")];
        let found = drift(&dir, &files).unwrap();
        assert_eq!(
            found,
            [
                Drift::Differs("rules/a.yml".into()),
                Drift::Missing("prometheus.yml".into()),
                Drift::Extra("rules/stale.yml".into()),
            ]
        );
        std::fs::write(dir.join("rules/a.yml"), "new").unwrap();
        std::fs::write(dir.join("prometheus.yml"), "p").unwrap();
        std::fs::remove_file(dir.join("rules/stale.yml")).unwrap();
        assert_eq!(drift(&dir, &files).unwrap(), []);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
