//! The codec of every pvmlab service: prost's, except that the encoder
//! makes room for the whole message before writing it. prost writes field
//! by field into tonic's buffer, which then grows by doubling, copying
//! what it holds each time: for a 1 MiB message of pages, about one more
//! copy of the message and an allocation of each size on the way.

use std::marker::PhantomData;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, EncodeBuf, Encoder};
use tonic_prost::{ProstDecoder, ProstEncoder};

#[derive(Debug, Clone)]
pub struct PvmlabCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for PvmlabCodec<T, U> {
    fn default() -> Self {
        PvmlabCodec(PhantomData)
    }
}

impl<T, U> Codec for PvmlabCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = Reserving<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        Reserving(ProstEncoder::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

/// prost's encoder, after one reservation of the message's length.
#[derive(Debug, Clone)]
pub struct Reserving<T>(ProstEncoder<T>);

impl<T: prost::Message> Encoder for Reserving<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.reserve(item.encoded_len());
        self.0.encode(item, buf)
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}
