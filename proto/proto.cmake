# proto/proto.cmake - the codec library: frame decoding with caps, claim
# validation, the canonical claim and its digest, and the JSON spelling.
# Included from the top-level CMakeLists.txt (paths are relative to it).
add_library(klaim_codec STATIC
  proto/codec.c
  proto/validate.c
  proto/claim_json.c
  proto/audit.c)
target_include_directories(klaim_codec PUBLIC ${CMAKE_SOURCE_DIR}/proto)
target_link_libraries(klaim_codec PUBLIC klaim_pb klaim_common PkgConfig::JANSSON PkgConfig::SODIUM m)
