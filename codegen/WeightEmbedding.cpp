//===- WeightEmbedding.cpp - Weights as raw bytes in the object -----------===//

#include "codegen/WeightEmbedding.h"
#include "passes/ConstantBytes.h"
#include "runtime/onnxc_model_desc.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

using namespace mlir;

namespace onnxc {

std::vector<DetachedWeight> detachWeights(ModuleOp module, int64_t minBytes) {
  std::vector<DetachedWeight> weights;
  module.walk([&](LLVM::GlobalOp global) {
    Attribute value = global.getValueOrNull();
    if (!value || !global.getConstant())
      return;
    ArrayRef<char> bytes = rawConstantBytes(value);
    if (int64_t(bytes.size()) < minBytes || bytes.empty())
      return;
    weights.push_back({global.getSymName().str(), bytes});
    global.removeValueAttr();
    // A declaration until attachWeights defines it again.
    global.setLinkage(LLVM::Linkage::External);
  });
  return weights;
}

void attachWeights(llvm::Module &module, ArrayRef<DetachedWeight> weights) {
  llvm::Type *byteType = llvm::Type::getInt8Ty(module.getContext());
  for (const DetachedWeight &w : weights) {
    llvm::GlobalVariable *declaration =
        module.getGlobalVariable(w.symbol, /*AllowInternal=*/true);
    if (!declaration)
      continue; // dropped as unused during translation
    llvm::Constant *init = llvm::ConstantDataArray::getRaw(
        llvm::StringRef(w.bytes.data(), w.bytes.size()), w.bytes.size(),
        byteType);
    auto *g = new llvm::GlobalVariable(module, init->getType(),
                                       /*isConstant=*/true,
                                       llvm::GlobalValue::PrivateLinkage, init);
    g->setAlignment(llvm::Align(64));
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    g->takeName(declaration);
    // Users only take the address (opaque pointers): the type change is
    // invisible to them.
    declaration->replaceAllUsesWith(g);
    declaration->eraseFromParent();
  }
}

ExternalWeights externalizeWeights(ModuleOp module,
                                   std::vector<DetachedWeight> &weights) {
  ExternalWeights result;
  llvm::StringMap<size_t> index;
  for (size_t i = 0; i < weights.size(); ++i)
    index[weights[i].symbol] = i;

  // An address taken in a function can become base + offset; one taken in
  // another global's initializer, which must stay a constant, pins the
  // weight into the library. (llvm.mlir.addressof is how the LLVM dialect
  // takes a global's address; SymbolTable::getSymbolUses would not see it,
  // as the symbol lives in the op's properties.)
  std::vector<bool> pinned(weights.size(), false);
  SmallVector<LLVM::AddressOfOp> uses;
  module.walk([&](LLVM::AddressOfOp addr) {
    auto it = index.find(addr.getGlobalName());
    if (it == index.end())
      return;
    if (addr->getParentOfType<LLVM::GlobalOp>())
      pinned[it->second] = true;
    else
      uses.push_back(addr);
  });

  // Offsets in module order; the id hashes every piece's place, size and
  // bytes (the padding between pieces is always zero), which identifies the
  // payload without holding all of it in one buffer.
  llvm::StringMap<uint64_t> offsets;
  std::vector<DetachedWeight> kept;
  SmallVector<uint64_t> digest;
  uint64_t end = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (pinned[i]) {
      kept.push_back(weights[i]);
      continue;
    }
    uint64_t offset = llvm::alignTo(end, ONNXC_WEIGHTS_ALIGNMENT);
    offsets[weights[i].symbol] = offset;
    result.pieces.push_back({offset, weights[i].bytes});
    end = offset + weights[i].bytes.size();
    ArrayRef<uint8_t> bytes(
        reinterpret_cast<const uint8_t *>(weights[i].bytes.data()),
        weights[i].bytes.size());
    digest.append({offset, uint64_t(bytes.size()), llvm::xxh3_64bits(bytes)});
  }
  if (result.pieces.empty())
    return result;
  result.payloadSize = llvm::alignTo(end, ONNXC_WEIGHTS_ALIGNMENT);
  digest.push_back(result.payloadSize);
  for (uint64_t &word : digest)
    word = llvm::support::endian::byte_swap(word, llvm::endianness::little);
  result.id = llvm::xxh3_64bits(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(digest.data()),
      digest.size() * sizeof(uint64_t)));
  if (result.id == 0) // 0 would read as "no id"
    result.id = 1;

  // @onnxc.weights_base: internal, mutable, null until the runtime maps the
  // file. Its address escapes through the model descriptor, so LLVM cannot
  // assume it stays null.
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Location loc = module.getLoc();
  auto base = LLVM::GlobalOp::create(b, loc, ptrType, /*isConstant=*/false,
                                     LLVM::Linkage::Internal,
                                     kWeightsBaseSymbol, Attribute(),
                                     /*alignment=*/8);
  b.createBlock(&base.getInitializerRegion());
  LLVM::ReturnOp::create(b, loc,
                         ValueRange{LLVM::ZeroOp::create(b, loc, ptrType)});

  auto i8 = IntegerType::get(ctx, 8);
  auto i64 = IntegerType::get(ctx, 64);
  for (LLVM::AddressOfOp addr : uses) {
    auto it = offsets.find(addr.getGlobalName());
    if (it == offsets.end())
      continue; // a pinned weight
    b.setInsertionPoint(addr);
    Location useLoc = addr.getLoc();
    Value slot = LLVM::AddressOfOp::create(b, useLoc, ptrType,
                                           kWeightsBaseSymbol);
    Value basePtr =
        LLVM::LoadOp::create(b, useLoc, ptrType, slot, /*alignment=*/8);
    Value offset = LLVM::ConstantOp::create(
        b, useLoc, i64, b.getI64IntegerAttr(int64_t(it->second)));
    Value ptr = LLVM::GEPOp::create(b, useLoc, addr.getType(), i8, basePtr,
                                    ValueRange{offset},
                                    LLVM::GEPNoWrapFlags::inbounds);
    addr.replaceAllUsesWith(ptr);
    addr.erase();
  }
  for (const auto &entry : offsets)
    if (Operation *global = SymbolTable::lookupSymbolIn(module, entry.getKey()))
      global->erase();
  weights = std::move(kept);
  return result;
}

bool writeWeightsFile(llvm::StringRef path, const ExternalWeights &weights,
                      std::string &error) {
  using namespace llvm::support;
  // The header (layout in runtime/onnxc_model_desc.h), little-endian.
  char header[ONNXC_WEIGHTS_HEADER_BYTES] = {};
  static_assert(sizeof(ONNXC_WEIGHTS_MAGIC) - 1 == 8, "8-byte magic");
  std::memcpy(header, ONNXC_WEIGHTS_MAGIC, 8);
  endian::write32le(header + 8, ONNXC_WEIGHTS_FORMAT_VERSION);
  endian::write64le(header + 16, ONNXC_WEIGHTS_HEADER_BYTES);
  endian::write64le(header + 24, weights.payloadSize);
  endian::write64le(header + 32, weights.id);

  llvm::SmallString<256> temp(path);
  temp += ".tmp%%%%%%";
  int fd;
  llvm::SmallString<256> tempPath;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(temp, fd, tempPath)) {
    error = "cannot create " + tempPath.str().str() + ": " + ec.message();
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(header, sizeof header);
    uint64_t at = 0;
    for (const ExternalWeights::Piece &piece : weights.pieces) {
      os.write_zeros(piece.offset - at);
      os.write(piece.bytes.data(), piece.bytes.size());
      at = piece.offset + piece.bytes.size();
    }
    os.write_zeros(weights.payloadSize - at);
    os.close();
    if (os.has_error()) {
      error = "cannot write " + path.str() + ": " + os.error().message();
      os.clear_error();
      llvm::sys::fs::remove(tempPath);
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tempPath, path)) {
    error = "cannot write " + path.str() + ": " + ec.message();
    llvm::sys::fs::remove(tempPath);
    return false;
  }
  return true;
}

} // namespace onnxc
