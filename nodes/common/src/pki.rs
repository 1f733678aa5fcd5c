//! The lab's certificate authority. Each node's certificate names the node
//! (common name and DNS name) and its role (organizational unit), so a peer
//! can be checked for both without any other directory.

use crate::model::Role;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn write(path: &Path, contents: &str) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, contents).map_err(io)
}

fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Creates a CA (certificate and key, PEM) at the given paths.
pub fn make_ca(common_name: &str, cert: &Path, key: &Path) -> Result<(), PkiError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "pvmlab");
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let kp = KeyPair::generate()?;
    let c = params.self_signed(&kp)?;
    write(cert, &c.pem())?;
    write(key, &kp.serialize_pem())
}

/// Issues a node certificate signed by the CA at `ca_cert`/`ca_key`.
/// `addresses` become IP SANs so the certificate also matches by address.
pub fn issue(
    ca_cert: &Path,
    ca_key: &Path,
    node: &str,
    role: Role,
    addresses: &[String],
    cert: &Path,
    key: &Path,
) -> Result<(), PkiError> {
    let ca_kp = KeyPair::from_pem(&read(ca_key)?)?;
    let issuer = Issuer::from_ca_cert_pem(&read(ca_cert)?, ca_kp)?;
    let mut params = CertificateParams::new(vec![node.to_string()])?;
    for a in addresses {
        if let Ok(ip) = a.parse() {
            params.subject_alt_names.push(SanType::IpAddress(ip));
        }
    }
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "pvmlab");
    dn.push(DnType::OrganizationalUnitName, role.as_str());
    dn.push(DnType::CommonName, node);
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let kp = KeyPair::generate()?;
    let c = params.signed_by(&kp, &issuer)?;
    write(cert, &c.pem())?;
    write(key, &kp.serialize_pem())
}

/// Who is calling: the node name and role from the verified client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub name: String,
    pub role: Role,
}

/// The node and role a client certificate chain names.
pub fn peer_in(certs: &[rustls::pki_types::CertificateDer<'_>]) -> Option<Peer> {
    let (name, ou) = name_and_role(certs.first()?.as_ref())?;
    Some(Peer {
        name,
        role: Role::parse(&ou)?,
    })
}

/// The node name (common name) and role (organizational unit) a lab
/// certificate states.
pub(crate) fn name_and_role(der: &[u8]) -> Option<(String, String)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    let ou = subject
        .iter_organizational_unit()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    Some((cn, ou))
}
