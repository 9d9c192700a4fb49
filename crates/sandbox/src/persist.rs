//! The `--state` file: the account written atomically (temporary file, fsync, rename, fsync of
//! the directory) after every change, so a crash leaves either the old or the new state.

use std::fs;
use std::path::Path;

use super::world::{FORMAT, World};

/// Accounts up to this many PBXs are written indented.
const PRETTY_UP_TO: usize = 500;

/// Reads a state file; `Ok(None)` when it does not exist.
pub(super) fn load(path: &Path) -> Result<Option<World>, String> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut world: World =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a sandbox state file: {e}"))?;
    if world.format != FORMAT {
        return Err(format!(
            "state format {} is not the supported format {FORMAT}",
            world.format
        ));
    }
    world.reindex();
    if let Some((product, sn)) = world.duplicate_key() {
        return Err(format!("{sn} is listed twice under product {product}"));
    }
    Ok(Some(world))
}

/// Writes `world` to `path` atomically.
pub(super) fn save(path: &Path, world: &World) -> std::io::Result<()> {
    // Indented for people reading a demo account; compact for fleets, written after every order.
    let bytes = if world.pbxs.len() <= PRETTY_UP_TO {
        serde_json::to_vec_pretty(world)
    } else {
        serde_json::to_vec(world)
    }
    .map_err(std::io::Error::other)?;
    crate::atomic::write(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Seed, catalog, seed};

    #[test]
    fn round_trips_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state.json");
        assert!(load(&path).unwrap().is_none());
        let today = "2026-11-22".parse().unwrap();
        let world = seed::build(&Seed::Demo, &catalog::standard(), today);
        save(&path, &world).unwrap();
        let back = load(&path).unwrap().unwrap();
        assert_eq!(back.find(13, "3658B431119665QJ"), Some(3));
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&world).unwrap()
        );
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("3049040650094403584"));
        fs::write(&path, "{").unwrap();
        assert!(load(&path).is_err());
    }
}
