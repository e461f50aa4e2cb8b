// InstanceRecord: what the index keeps about one stored SOP instance — its
// indexed attribute values at every level, and where and how its bytes are
// stored.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "domain/attribute.h"

namespace systole::domain {

// Attribute values, indexed by Attribute. Empty string = absent or empty.
// Text is UTF-8 (converted from the file's SpecificCharacterSet).
using AttributeValues = std::array<std::string, kAttributeCount>;

struct BlobRef {
  std::string key;        // BlobStore key
  std::uint64_t size = 0; // bytes of the Part 10 file
  std::string hash;       // content hash, "xxh3-128:<hex>"
};

struct InstanceRecord {
  AttributeValues values;
  BlobRef blob;
  std::string received_at;   // ISO 8601 UTC
  std::string source;        // e.g. "dimse:ECHOCART@10.0.0.5", "import:/path"

  const std::string& Get(Attribute a) const { return values[static_cast<std::size_t>(a)]; }
  void Set(Attribute a, std::string v) { values[static_cast<std::size_t>(a)] = std::move(v); }
};

// What the retrieve side needs to send an instance back.
struct StoredInstance {
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  BlobRef blob;
};

}  // namespace systole::domain
