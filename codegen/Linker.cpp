//===- Linker.cpp - Model objects into libraries --------------------------===//

#include "codegen/Linker.h"

#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace onnxc {

std::string findRuntimeArchive(const char *argv0) {
  std::string exe =
      llvm::sys::fs::getMainExecutable(argv0, (void *)&findRuntimeArchive);
  llvm::SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib", "libonnxc_runtime.a");
  return llvm::sys::fs::exists(path) ? std::string(path) : std::string();
}

bool linkSharedLibrary(const std::string &objectBytes,
                       const std::string &runtimeArchive,
                       const std::string &outPath, std::string &error) {
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc) {
    error = "no C compiler driver 'cc' on PATH to link the shared library";
    return false;
  }
  llvm::SmallString<128> objectPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("onnxc-model", "o", fd, objectPath)) {
    error = "cannot create a temporary object file";
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << objectBytes;
  }
  llvm::SmallVector<llvm::StringRef> args = {
      *cc, "-shared", "-o", outPath, objectPath,
      "-Wl,--whole-archive", runtimeArchive, "-Wl,--no-whole-archive",
      "-lm", "-Wl,-z,noexecstack"};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0,
                                     &message);
  llvm::sys::fs::remove(objectPath);
  if (rc != 0) {
    error = "linking " + outPath + " failed" +
            (message.empty() ? "" : ": " + message);
    return false;
  }
  return true;
}

bool writeStaticLibrary(const std::string &objectBytes,
                        const std::string &runtimeArchive,
                        const std::string &outPath, std::string &error) {
  std::vector<llvm::NewArchiveMember> members;
  members.emplace_back(llvm::MemoryBufferRef(objectBytes, "model.o"));
  auto buffer = llvm::MemoryBuffer::getFile(runtimeArchive);
  if (!buffer) {
    error = "cannot read the runtime archive " + runtimeArchive;
    return false;
  }
  auto archive = llvm::object::Archive::create((*buffer)->getMemBufferRef());
  if (!archive) {
    error = "the runtime archive is not an archive: " +
            llvm::toString(archive.takeError());
    return false;
  }
  llvm::Error err = llvm::Error::success();
  for (const auto &child : (*archive)->children(err)) {
    auto member = llvm::NewArchiveMember::getOldMember(child, true);
    if (!member) {
      error = llvm::toString(member.takeError());
      return false;
    }
    members.push_back(std::move(*member));
  }
  if (err) {
    error = llvm::toString(std::move(err));
    return false;
  }
  if (llvm::Error e = llvm::writeArchive(
          outPath, members, llvm::SymtabWritingMode::NormalSymtab,
          llvm::object::Archive::K_GNU, /*Deterministic=*/true,
          /*Thin=*/false)) {
    error = "cannot write " + outPath + ": " + llvm::toString(std::move(e));
    return false;
  }
  return true;
}

} // namespace onnxc
