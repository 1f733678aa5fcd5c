//! Compiles the wire contracts with the protoc that ships inside the
//! `protoc-bin-vendored` crate, so a fresh machine needs nothing installed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("PROTOC", protoc) };
    let files = [
        "model.proto",
        "fsp.proto",
        "vios.proto",
        "hmc.proto",
        "chaos.proto",
        "mover.proto",
        "san.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    tonic_prost_build::configure()
        // The model messages are also what nodes persist, so they serialise with serde too.
        .type_attribute(
            ".pvmlab.model.v1",
            "#[derive(serde::Serialize, serde::Deserialize)]",
        )
        .message_attribute(".pvmlab.model.v1", "#[serde(default)]")
        // Pages cross two mover service partitions: as `Bytes` they are
        // sliced out of the received buffer, not copied, at each hop.
        .bytes(".pvmlab.mover.v1.Page.data")
        .codec_path("crate::codec::PvmlabCodec")
        .compile_protos(&files, &["."])?;
    Ok(())
}
