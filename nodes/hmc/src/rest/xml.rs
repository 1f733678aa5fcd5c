//! The HMC REST API's XML: Atom feeds and entries around the UOM and web
//! objects, with the namespaces, `kb`/`kxe` attributes and media types of
//! the real HMC (pypowervm's recorded responses, `const.py`).

pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
pub const UOM_NS: &str = "http://www.ibm.com/xmlns/systems/power/firmware/uom/mc/2012_10/";
pub const WEB_NS: &str = "http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/";
pub const GENERATOR: &str = "IBM Power Systems Management Console";

/// `application/vnd.ibm.powervm.<group>+xml; type=<kind>`.
pub fn media_type(group: &str, kind: &str) -> String {
    format!("application/vnd.ibm.powervm.{group}+xml; type={kind}")
}

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

/// One element with the HMC's attributes.
pub fn el(name: &str, kb: &str, value: &str) -> String {
    format!(
        "<{name} kb=\"{kb}\" kxe=\"false\">{}</{name}>",
        escape(value)
    )
}

/// A group element the HMC's way: `kb`/`kxe` where the recordings have
/// them, a schema version, its Metadata, then its children.
pub fn group(name: &str, kb: Option<&str>, children: &[String]) -> String {
    let attrs = kb
        .map(|kb| format!(" kb=\"{kb}\" kxe=\"false\""))
        .unwrap_or_default();
    format!(
        "<{name}{attrs} schemaVersion=\"V1_0\"><Metadata><Atom/></Metadata>{}</{name}>",
        children.concat()
    )
}

/// A decimal as the HMC (Java) writes it: `2.0`, `0.5`, never `2`.
pub fn decimal(v: f64) -> String {
    let s = v.to_string();
    if s.contains(['.', 'e', 'N', 'i']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// A boolean as the HMC writes it.
pub fn flag(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}

/// The time of the answer: RFC 3339 in UTC, to the millisecond, as
/// Atom's `published` and `updated` want.
pub fn now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let c = pvmlab_common::clock::Civil::at(d.as_secs() as i64);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        d.subsec_millis()
    )
}

/// One Atom entry around a UOM object (`body`: its children), whose SELF
/// link is at the root of the API (`/rest/api/uom/{kind}/{id}`).
pub fn entry(base: &str, kind: &str, id: &str, body: &str) -> String {
    entry_at(&format!("{base}/rest/api/uom/{kind}/{id}"), kind, id, body)
}

/// One Atom entry whose SELF link is `href` (a child of its frame:
/// `…/ManagedSystem/{uuid}/VirtualSwitch/{id}`).
pub fn entry_at(href: &str, kind: &str, id: &str, body: &str) -> String {
    format!(
        "<entry><id>{id}</id><title>{kind}</title><published>{t}</published>\
<link rel=\"SELF\" href=\"{href}\"/>\
<author><name>{GENERATOR}</name></author>\
<etag:etag xmlns:etag=\"http://www.ibm.com/xmlns/systems/power/firmware/uom/mc/2012_10/\">{etag}</etag:etag>\
<content type=\"{mt}\"><{kind}:{kind} xmlns:{kind}=\"{UOM_NS}\" xmlns=\"{UOM_NS}\" \
xmlns:ns2=\"http://www.w3.org/XML/1998/namespace/k2\" schemaVersion=\"V1_0\">\
<Metadata><Atom><AtomID>{id}</AtomID><AtomCreated>0</AtomCreated></Atom></Metadata>{body}</{kind}:{kind}></content></entry>",
        t = now(),
        mt = media_type("uom", kind),
        etag = etag(body),
    )
}

/// An Atom entry on its own around a web object (JobRequest, JobResponse,
/// HttpErrorResponse); `link` is its SELF href, if it has one.
pub fn web_entry(kind: &str, id: &str, link: Option<&str>, schema: &str, body: &str) -> String {
    let link = link
        .map(|l| format!("<link rel=\"SELF\" href=\"{l}\"/>"))
        .unwrap_or_default();
    format!(
        "<entry xmlns=\"{ATOM_NS}\" xmlns:ns2=\"http://a9.com/-/spec/opensearch/1.1/\" xmlns:ns3=\"http://www.w3.org/1999/xhtml\">\
<id>{id}</id><title>{kind}</title>{link}<author><name>{GENERATOR}</name></author>\
<content type=\"{mt}\"><{kind}:{kind} xmlns:{kind}=\"{WEB_NS}\" xmlns=\"{WEB_NS}\" xmlns:ns2=\"http://www.w3.org/XML/1998/namespace/k2\" schemaVersion=\"{schema}\">\
<Metadata><Atom/></Metadata>{body}</{kind}:{kind}></content></entry>",
        mt = media_type("web", kind),
    )
}

/// A feed of entries.
pub fn feed(kind: &str, entries: &[String]) -> String {
    // No XML declaration: the HMC sends none on feeds and entries, and
    // pypowervm parses them as text, which a declaration would stop.
    format!(
        "<feed xmlns=\"{ATOM_NS}\" xmlns:ns2=\"http://a9.com/-/spec/opensearch/1.1/\" xmlns:ns3=\"http://www.w3.org/1999/xhtml\">\
<id>{}</id><updated>{}</updated><generator>{GENERATOR}</generator>{}</feed>",
        crate::ids::uuid("feed", kind),
        now(),
        entries.concat()
    )
}

/// An entry on its own, as GET of one object returns it.
pub fn document(entry: &str) -> String {
    entry.replacen("<entry>", &format!("<entry xmlns=\"{ATOM_NS}\">"), 1)
}

/// The ETag of a body: changes when the object does, not with the time
/// of the answer (`published`, `updated`).
pub fn etag(body: &str) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut rest = body;
    while let Some(i) = rest.find("<published>").or_else(|| rest.find("<updated>")) {
        h.update(&rest.as_bytes()[..i]);
        let tail = &rest[i..];
        let end = tail
            .find("</")
            .and_then(|j| tail[j..].find('>').map(|k| j + k + 1));
        rest = end.map_or("", |e| &tail[e..]);
    }
    h.update(rest.as_bytes());
    (h.digest() as u32).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn etags_ignore_the_time_of_the_answer() {
        let a = super::etag("<a><published>1</published><b>x</b><updated>2</updated></a>");
        let b = super::etag("<a><published>3</published><b>x</b><updated>4</updated></a>");
        assert_eq!(a, b);
        assert_ne!(a, super::etag("<a><published>3</published><b>y</b></a>"));
    }

    #[test]
    fn groups() {
        assert_eq!(
            super::group("G", Some("CUD"), &["<a/>".into()]),
            "<G kb=\"CUD\" kxe=\"false\" schemaVersion=\"V1_0\"><Metadata><Atom/></Metadata><a/></G>"
        );
    }

    #[test]
    fn decimals_keep_their_point() {
        assert_eq!(super::decimal(2.0), "2.0");
        assert_eq!(super::decimal(0.5), "0.5");
        assert_eq!(super::decimal(16.0), "16.0");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            super::el("X", "CUR", "a<b&c"),
            "<X kb=\"CUR\" kxe=\"false\">a&lt;b&amp;c</X>"
        );
    }
}
