//! The server's host key, kept in the HMC's data directory so that clients
//! see the same key after a restart.

use super::SshError;
use russh::keys::PrivateKey;
use russh::keys::ssh_key::{LineEnding, private::Ed25519Keypair};
use std::io::{Read, Write};
use std::path::Path;
use tracing::info;

/// Reads the OpenSSH-format host key at `path`, or creates an Ed25519 one there.
/// Blocking file I/O is fine: it runs once, at startup.
pub fn load_or_create_host_key(path: &Path) -> Result<PrivateKey, SshError> {
    let err = |msg: String| SshError::HostKey {
        path: path.to_owned(),
        msg,
    };
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            let key = PrivateKey::from_openssh(pem.as_bytes())
                .map_err(|e| err(format!("not an OpenSSH private key: {e}")))?;
            // An encrypted key would need a passphrase nobody is there to type.
            if key.is_encrypted() {
                return Err(err("the key is encrypted".into()));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = new_ed25519_key().map_err(|e| err(format!("cannot generate: {e}")))?;
            let pem = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| err(format!("cannot encode: {e}")))?;
            // Write a 0600 temporary and rename it, so a crash never leaves half a key behind.
            let tmp = path.with_extension("tmp");
            let written = (|| {
                let _ = std::fs::remove_file(&tmp); // a leftover could have other permissions
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut f = std::fs::OpenOptions::new();
                std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
                let mut f = f.write(true).create(true).truncate(true).open(&tmp)?;
                f.write_all(pem.as_bytes())?;
                f.sync_all()?;
                std::fs::rename(&tmp, path)
            })();
            written.map_err(|e| err(format!("cannot save: {e}")))?;
            info!(path = %path.display(), "generated a new SSH host key");
            Ok(key)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// russh's key generation wants a rand_core RNG this crate does not depend on;
/// an Ed25519 key is just 32 random bytes, which the kernel provides.
fn new_ed25519_key() -> std::io::Result<PrivateKey> {
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut seed)?;
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    key.set_comment("pvm-hmc host key");
    Ok(key)
}
