//! A lab CA and node identities in a temporary directory, and free loopback
//! ports, for the crate's tests of real TLS connections.

use crate::model::Role;
use crate::net::{Identity, ServerStream, tls_incoming};
use crate::pki;
use futures::Stream;
use std::collections::HashMap;
use std::pin::Pin;

pub(crate) struct TestLab {
    _dir: tempfile::TempDir,
    ids: HashMap<String, Identity>,
}

impl TestLab {
    /// A CA and one certificate per `(name, role)`.
    pub(crate) fn new(nodes: &[(&str, Role)]) -> TestLab {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = dir.path().join("ca.crt");
        let ca_key = dir.path().join("ca.key");
        pki::make_ca("test CA", &ca, &ca_key).expect("CA");
        let mut ids = HashMap::new();
        for (name, role) in nodes {
            let cert = dir.path().join(format!("{name}.crt"));
            let key = dir.path().join(format!("{name}.key"));
            pki::issue(
                &ca,
                &ca_key,
                name,
                *role,
                &["127.0.0.1".into()],
                &cert,
                &key,
            )
            .expect("node certificate");
            let id = Identity::from_files(name, &ca, &cert, &key).expect("identity");
            ids.insert(name.to_string(), id);
        }
        TestLab { _dir: dir, ids }
    }

    pub(crate) fn id(&self, name: &str) -> &Identity {
        &self.ids[name]
    }

    /// `node` accepting connections on a free loopback port.
    pub(crate) async fn serve(
        &self,
        node: &str,
    ) -> (
        String,
        Pin<Box<dyn Stream<Item = std::io::Result<ServerStream>> + Send>>,
    ) {
        let addr = free_addr();
        let incoming = tls_incoming(&addr, self.id(node).server_config().expect("config"))
            .await
            .expect("listen");
        (addr, Box::pin(incoming))
    }
}

/// A loopback address with a port nothing listens on right now.
pub(crate) fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local address").to_string()
}
