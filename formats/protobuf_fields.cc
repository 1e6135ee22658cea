#include "formats/protobuf_fields.h"

#include <string>

namespace gcspike::protobuf_fields {

[[gnu::noinline]] Status ReadFieldSlow(ByteCursor& c, Field& f) {
  f.tag_offset = c.offset();
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t tag, c.uvarint());
  f.number = static_cast<uint32_t>(tag >> 3);
  f.wire = static_cast<uint32_t>(tag & 7);
  if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
    return MakeErrorAt(f.tag_offset, "invalid protobuf field number " + std::to_string(tag >> 3));
  }
  switch (f.wire) {
    case kVarint: {
      GCSPIKE_ASSIGN_OR_RETURN(f.varint, c.uvarint());
      break;
    }
    case kFixed64: {
      GCSPIKE_ASSIGN_OR_RETURN(f.varint, c.u64le());
      break;
    }
    case kFixed32: {
      GCSPIKE_ASSIGN_OR_RETURN(uint32_t v, c.u32le());
      f.varint = v;
      break;
    }
    case kLen: {
      const uint64_t len_offset = c.offset();
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t len, c.uvarint());
      if (len > c.remaining()) {
        return MakeErrorAt(len_offset, "field " + std::to_string(f.number) + " claims " +
                                           std::to_string(len) + " bytes but only " +
                                           std::to_string(c.remaining()) + " remain");
      }
      GCSPIKE_ASSIGN_OR_RETURN(f.payload, c.sub(len));
      break;
    }
    default:
      return MakeErrorAt(f.tag_offset, "unsupported protobuf wire type " + std::to_string(f.wire) +
                                           " for field " + std::to_string(f.number));
  }
  return {};
}

[[gnu::noinline]] Error WrongWire(const Field& f, uint32_t wire, const char* what) {
  return MakeErrorAt(f.tag_offset, std::string(what) + " (field " + std::to_string(f.number) +
                                       ") has wire type " + std::to_string(f.wire) + ", expected " +
                                       std::to_string(wire));
}

}  // namespace gcspike::protobuf_fields
