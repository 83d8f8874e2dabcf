//===- CudaHostMerge.cpp - the CUDA host code joins the CPU module --------===//
//
// See CudaHostMerge.h. Both modules come from one import, so most weights
// are the same constants under the same names; sharing them keeps the
// library from carrying the model's weights twice. Where the CPU pipeline
// changed a weight (prepacked panels, int8), the names or bytes differ and
// each path keeps its own.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaHostMerge.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace onnxc {

namespace {

bool sameGlobal(LLVM::GlobalOp a, LLVM::GlobalOp b) {
  return a.getGlobalType() == b.getGlobalType() &&
         a.getConstant() == b.getConstant() && a.getConstant() &&
         a.getValueAttr() && a.getValueAttr() == b.getValueAttr() &&
         a.getInitializerRegion().empty() && b.getInitializerRegion().empty();
}

} // namespace

bool mergeCudaHostCode(ModuleOp cpu, ModuleOp host, std::string &error) {
  SymbolTable cpuSymbols(cpu);
  SymbolTable hostSymbols(host);
  SmallVector<Operation *> toMove, toErase;
  for (Operation &op : host.getBody()->getOperations()) {
    auto symbol = dyn_cast<SymbolOpInterface>(op);
    if (!symbol) {
      toMove.push_back(&op);
      continue;
    }
    Operation *existing = cpuSymbols.lookup(symbol.getName());
    if (!existing) {
      toMove.push_back(&op);
      continue;
    }
    auto fn = dyn_cast<LLVM::LLVMFuncOp>(op);
    auto existingFn = dyn_cast<LLVM::LLVMFuncOp>(existing);
    if (fn && fn.isExternal() && existingFn) {
      if (fn.getFunctionType() != existingFn.getFunctionType()) {
        error = "internal error: the CPU and CUDA code declare '" +
                symbol.getName().str() + "' with different types";
        return false;
      }
      toErase.push_back(&op); // uses now bind to the CPU module's
      continue;
    }
    auto global = dyn_cast<LLVM::GlobalOp>(op);
    auto existingGlobal = dyn_cast<LLVM::GlobalOp>(existing);
    if (global && existingGlobal && sameGlobal(global, existingGlobal)) {
      toErase.push_back(&op);
      continue;
    }
    // Same name, other thing: the host copy gets a name neither has.
    std::string base = "onnxc_cuda." + symbol.getName().str();
    std::string name = base;
    for (unsigned n = 1; cpuSymbols.lookup(name) || hostSymbols.lookup(name);
         ++n)
      name = base + "." + std::to_string(n);
    if (failed(hostSymbols.rename(&op, StringAttr::get(cpu.getContext(),
                                                       name)))) {
      error = "internal error: cannot rename '" + symbol.getName().str() +
              "' in the CUDA host code";
      return false;
    }
    toMove.push_back(&op);
  }
  for (Operation *op : toErase)
    op->erase();
  Block *body = cpu.getBody();
  for (Operation *op : toMove)
    op->moveBefore(body, body->end());
  return true;
}

} // namespace onnxc
