#!/usr/bin/env bash
# Regenerates src/generated/ from proto/*.proto with ts-proto (needs protoc,
# Debian package protobuf-compiler). The output is checked in so that a
# build needs neither protoc nor this script.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
rm -rf src/generated
mkdir -p src/generated
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out=src/generated \
  --ts_proto_opt=outputServices=generic-definitions,snakeToCamel=false,forceLong=bigint,esModuleInterop=true,useOptionals=none,oneof=unions,env=node,exportCommonSymbols=false \
  -I proto -I /usr/include \
  proto/agent.proto proto/health.proto proto/oci.proto proto/types.proto
