//! The SFTP subsystem (today's OpenSSH `scp` and `sftp` speak it): a user
//! reads and writes files of their own home on the HMC, and nothing else.
//! Every path goes through the home's resolution in `crate::files`. Files
//! are small (profiles, configuration), so plain blocking file calls are
//! used rather than a thread pool.

use crate::files::{FileError, Home, MAX_FILE};
use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version,
};
use russh_sftp::server::StatusReply;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};

enum Open {
    File(std::fs::File),
    /// A listing, handed out in one READDIR and then EOF.
    Dir(Option<Vec<File>>),
}

pub(super) struct Sftp {
    home: Home,
    handles: HashMap<String, Open>,
    next: u64,
}

/// At most this many handles open at once, as a server bounds them.
const MAX_HANDLES: usize = 64;

impl Sftp {
    pub(super) fn new(home: Home) -> Sftp {
        Sftp {
            home,
            handles: HashMap::new(),
            next: 0,
        }
    }

    fn add(&mut self, o: Open) -> Result<String, StatusReply> {
        if self.handles.len() >= MAX_HANDLES {
            return Err(StatusCode::Failure.with_message("too many open files"));
        }
        self.next += 1;
        let h = self.next.to_string();
        self.handles.insert(h.clone(), o);
        Ok(h)
    }
}

fn reply(e: FileError) -> StatusReply {
    let code = match e {
        FileError::NotFound(_) => StatusCode::NoSuchFile,
        FileError::Outside { .. } => StatusCode::PermissionDenied,
        _ => StatusCode::Failure,
    };
    code.with_message(e.to_string())
}

fn io(e: std::io::Error) -> StatusReply {
    StatusCode::Failure.with_message(e.kind().to_string())
}

fn truncate(f: &std::fs::File, size: u64) -> Result<(), StatusReply> {
    if size > MAX_FILE {
        return Err(StatusCode::Failure.with_message("the file is too large for the HMC"));
    }
    f.set_len(size).map_err(io)
}

fn ok(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".into(),
        language_tag: "en-US".into(),
    }
}

/// What the client sees of a file: size, type, permissions and times, not
/// the host's owner.
fn attrs(m: &std::fs::Metadata) -> FileAttributes {
    let mut a = FileAttributes::from(m);
    a.uid = None;
    a.gid = None;
    a.user = None;
    a.group = None;
    a
}

impl russh_sftp::server::Handler for Sftp {
    type Error = StatusReply;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported.into()
    }

    async fn init(
        &mut self,
        _version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, Self::Error> {
        Ok(Version::new())
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let file = if pflags.intersects(OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::CREATE) {
            self.home
                .open_write(&filename, pflags.contains(OpenFlags::TRUNCATE))
                .map_err(reply)?
                .1
        } else {
            self.home.open_read(&filename).map_err(reply)?.1
        };
        Ok(Handle {
            id,
            handle: self.add(Open::File(file))?,
        })
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        self.handles
            .remove(&handle)
            .map(|_| ok(id))
            .ok_or_else(|| StatusCode::Failure.with_message("invalid handle"))
    }

    async fn read(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, Self::Error> {
        let Some(Open::File(f)) = self.handles.get_mut(&handle) else {
            return Err(StatusCode::Failure.with_message("invalid handle"));
        };
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut data = Vec::new();
        f.take(u64::from(len.min(256 << 10)))
            .read_to_end(&mut data)
            .map_err(io)?;
        if data.is_empty() {
            return Err(StatusCode::Eof.into());
        }
        Ok(Data { id, data })
    }

    async fn write(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<Status, Self::Error> {
        let Some(Open::File(f)) = self.handles.get_mut(&handle) else {
            return Err(StatusCode::Failure.with_message("invalid handle"));
        };
        if offset.saturating_add(data.len() as u64) > MAX_FILE {
            return Err(StatusCode::Failure.with_message("the file is too large for the HMC"));
        }
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        f.write_all(&data).map_err(io)?;
        Ok(ok(id))
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        self.stat(id, path).await
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let (_, m) = self.home.metadata(&path).map_err(reply)?;
        Ok(Attrs {
            id,
            attrs: attrs(&m),
        })
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        match self.handles.get(&handle) {
            Some(Open::File(f)) => Ok(Attrs {
                id,
                attrs: attrs(&f.metadata().map_err(io)?),
            }),
            _ => Err(StatusCode::Failure.with_message("invalid handle")),
        }
    }

    // Permissions and times are the HMC's to keep: accepted and ignored,
    // as `scp -p` and sftp's `put` send them. A size truncates (scp ends
    // an upload with it).
    async fn setstat(
        &mut self,
        id: u32,
        path: String,
        attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        match attrs.size {
            Some(size) => {
                let (_, f) = self.home.open_write(&path, false).map_err(reply)?;
                truncate(&f, size)?;
            }
            None => {
                self.home.metadata(&path).map_err(reply)?;
            }
        }
        Ok(ok(id))
    }

    async fn fsetstat(
        &mut self,
        id: u32,
        handle: String,
        attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        match self.handles.get(&handle) {
            Some(Open::File(f)) => {
                if let Some(size) = attrs.size {
                    truncate(f, size)?;
                }
                Ok(ok(id))
            }
            Some(Open::Dir(_)) => Ok(ok(id)),
            None => Err(StatusCode::Failure.with_message("invalid handle")),
        }
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, Self::Error> {
        let entries = self.home.list(&path).map_err(reply)?;
        let files = entries
            .iter()
            .map(|(name, m)| File::new(name.clone(), attrs(m)))
            .collect();
        Ok(Handle {
            id,
            handle: self.add(Open::Dir(Some(files)))?,
        })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, Self::Error> {
        match self.handles.get_mut(&handle) {
            Some(Open::Dir(files)) => match files.take() {
                Some(files) => Ok(Name { id, files }),
                None => Err(StatusCode::Eof.into()),
            },
            _ => Err(StatusCode::Failure.with_message("invalid handle")),
        }
    }

    async fn remove(&mut self, id: u32, filename: String) -> Result<Status, Self::Error> {
        self.home.remove(&filename).map_err(reply)?;
        Ok(ok(id))
    }

    async fn mkdir(
        &mut self,
        id: u32,
        path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        self.home.mkdir(&path).map_err(reply)?;
        Ok(ok(id))
    }

    async fn rmdir(&mut self, id: u32, path: String) -> Result<Status, Self::Error> {
        self.home.rmdir(&path).map_err(reply)?;
        Ok(ok(id))
    }

    async fn rename(
        &mut self,
        id: u32,
        oldpath: String,
        newpath: String,
    ) -> Result<Status, Self::Error> {
        self.home.rename(&oldpath, &newpath).map_err(reply)?;
        Ok(ok(id))
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let path = if path.is_empty() {
            ".".to_string()
        } else {
            path
        };
        let r = self.home.resolve(&path).map_err(reply)?;
        Ok(Name {
            id,
            files: vec![File::dummy(r.shown)],
        })
    }

    async fn symlink(
        &mut self,
        _id: u32,
        _linkpath: String,
        _targetpath: String,
    ) -> Result<Status, Self::Error> {
        Err(StatusCode::PermissionDenied.with_message("symbolic links are not allowed on the HMC"))
    }
}
