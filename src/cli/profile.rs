//! The staff member's profile: where the gateway is and which files are theirs, written once by
//! `confide staff init` from what the administrator handed over, so that a command is
//! `confide staff case 3f2a` rather than six flags. A flag or its environment variable still
//! wins over the profile, for the one command it is given to.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// `staff.toml`. Relative paths are read from the profile's own folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Base URL of the staff listener.
    pub server: Option<String>,
    /// The CA certificate that signed the gateway's certificate.
    pub ca: Option<PathBuf>,
    /// The organisation's public signing key (base64), as it published it.
    pub organisation_key: Option<String>,
    /// Your client certificate and its private key.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Your age identity.
    pub identity: Option<PathBuf>,
    /// The folder `pull`, `open`, `cases` and `case` use when no `--out` is given.
    pub folder: Option<PathBuf>,
}

/// Where the profile is when neither `--profile` nor `CONFIDE_STAFF_PROFILE` names one:
/// `$XDG_CONFIG_HOME/confide/staff.toml`, else `~/.config/confide/staff.toml` (on Windows,
/// `%APPDATA%\confide\staff.toml`).
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("APPDATA").map(PathBuf::from))
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("confide").join("staff.toml"))
}

impl Profile {
    /// The profile at `path`, its relative paths made absolute. A named profile that does not
    /// exist is an error; the default one may be absent.
    pub fn load(path: &Path, named: bool) -> Result<Option<Profile>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot read the profile {}: write one with `confide staff init`",
                        path.display()
                    )
                });
            }
        };
        // The profile names the organisation key every seal is checked against: someone else
        // able to change it could make this client trust their keyring.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o022 != 0 {
                bail!(
                    "{} can be changed by other users of this machine; make it yours alone (chmod 600 {})",
                    path.display(),
                    path.display()
                );
            }
        }
        let mut profile: Profile = toml::from_str(&text).with_context(|| {
            format!(
                "the profile {} cannot be read (its keys are server, ca, organisation_key, cert, key, identity and folder)",
                path.display()
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for file in [
            &mut profile.ca,
            &mut profile.cert,
            &mut profile.key,
            &mut profile.identity,
            &mut profile.folder,
        ] {
            if let Some(p) = file.as_mut()
                && p.is_relative()
            {
                *p = base.join(&*p);
            }
        }
        Ok(Some(profile))
    }

    /// Writes the profile readable by its owner only; an existing one is kept unless `replace`.
    pub fn write(&self, path: &Path, replace: bool) -> Result<()> {
        if path.exists() && !replace {
            bail!(
                "{} exists already: pass --force to replace it, or --profile FILE to write another",
                path.display()
            );
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot make {}", parent.display()))?;
        }
        let text = format!(
            "# confide staff profile, written by `confide staff init`. A flag given to a command\n# wins over what is here.\n{}",
            toml::to_string(self)?
        );
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        // A replaced profile keeps no looser mode it had.
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        Ok(())
    }

    /// The profile for the files the administrator handed over in `from`: `cert.pem`,
    /// `key.pem` and `identity.txt` (or `identity.age`, protected), and `ca.pem` if the CA is
    /// not given. Each is checked to be what it should be before anything is written.
    pub fn from_handover(
        from: &Path,
        server: &str,
        organisation_key: &str,
        ca: Option<&Path>,
        folder: Option<&Path>,
    ) -> Result<Profile> {
        let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        let must = |name: &str, what: &str| -> Result<PathBuf> {
            let path = from.join(name);
            if !path.is_file() {
                bail!(
                    "{} has no {name} ({what}): give --from the folder your administrator handed over",
                    from.display()
                );
            }
            Ok(absolute(path))
        };
        let cert = must("cert.pem", "your certificate")?;
        let key = must("key.pem", "your certificate's key")?;
        let identity = ["identity.txt", "identity.age"]
            .iter()
            .map(|n| from.join(n))
            .find(|p| p.is_file())
            .map(absolute)
            .with_context(|| {
                format!(
                    "{} has no identity.txt or identity.age (your age identity)",
                    from.display()
                )
            })?;
        let ca = match ca {
            Some(ca) => absolute(ca.to_path_buf()),
            None => must(
                "ca.pem",
                "the CA certificate; or pass --ca FILE, the one your organisation published",
            )?,
        };
        {
            use rustls_pki_types::pem::PemObject;
            for (path, what) in [(&cert, "your certificate"), (&ca, "the CA certificate")] {
                rustls_pki_types::CertificateDer::from_pem_file(path).map_err(|_| {
                    anyhow::anyhow!("{} is not a PEM certificate ({what})", path.display())
                })?;
            }
        }
        organisation_key
            .parse::<crate::keyring::OrganisationKey>()
            .map_err(|_| {
                anyhow::anyhow!(
                    "--organisation-key is not an organisation key (base64 of 32 bytes, as your organisation published it)"
                )
            })?;
        let url = server.trim_end_matches('/');
        if !url.starts_with("https://") {
            bail!(
                "--server is the staff listener's https:// address, such as https://gateway.example.org:9443"
            );
        }
        Ok(Profile {
            server: Some(url.to_string()),
            ca: Some(ca),
            organisation_key: Some(organisation_key.to_string()),
            cert: Some(cert),
            key: Some(key),
            identity: Some(identity),
            folder: folder.map(|f| absolute(f.to_path_buf())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_reads_back_with_its_relative_paths_from_its_own_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staff.toml");
        std::fs::write(
            &path,
            "server = \"https://g:9443\"\ncert = \"me/cert.pem\"\nfolder = \"/cases\"\n",
        )
        .unwrap();
        let read = Profile::load(&path, true).unwrap().unwrap();
        assert_eq!(read.cert, Some(dir.path().join("me/cert.pem")));
        assert_eq!(read.folder, Some(PathBuf::from("/cases")));
        assert_eq!(read.key, None);
    }

    #[test]
    fn a_missing_default_profile_is_none_and_a_missing_named_one_says_how_to_write_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.toml");
        assert_eq!(Profile::load(&path, false).unwrap(), None);
        let error = Profile::load(&path, true).unwrap_err();
        assert!(
            format!("{error:#}").contains("confide staff init"),
            "{error:#}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_profile_others_may_change_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staff.toml");
        std::fs::write(&path, "server = \"https://g\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let error = Profile::load(&path, true).unwrap_err();
        assert!(format!("{error:#}").contains("chmod 600"), "{error:#}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Profile::load(&path, true).unwrap().is_some());
    }

    #[test]
    fn an_unknown_key_in_a_profile_names_the_keys_it_may_have() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staff.toml");
        std::fs::write(&path, "sever = \"https://g\"\n").unwrap();
        let error = Profile::load(&path, true).unwrap_err();
        assert!(
            format!("{error:#}").contains("its keys are server, ca"),
            "{error:#}"
        );
    }
}
