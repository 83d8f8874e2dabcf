//===- ExternalData.cpp - Reading tensors stored beside the model ---------===//
//
// This is the one place that decides which files a model may make us read.
// A model is untrusted input: its external_data locations must not reach
// outside the model's folder, whether by an absolute path, `..`, a symlink
// (to a file or a folder on the way) or a hard link to a file elsewhere.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/ExternalData.h"
#include "lib/importer/ImportError.h"

#include "onnx/onnx_pb.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace onnxc {
namespace {

/// Parses a non-negative decimal number; rejects signs, spaces, overflow.
bool parseSize(const std::string &text, uint64_t &value) {
  if (text.empty() || text.size() > 19)
    return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + uint64_t(c - '0');
  }
  return true;
}

struct ClosesFd {
  int fd;
  ~ClosesFd() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

std::string readExternalData(const std::string &modelDir,
                             const onnx::TensorProto &tensor) {
  const std::string &name = tensor.name();
  auto fail = [&](const std::string &why) -> ImportError {
    return ImportError("tensor '" + name + "': external data " + why);
  };

  std::string location;
  uint64_t offset = 0, length = 0;
  bool hasLength = false;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" && !parseSize(entry.value(), offset))
      throw fail("has an invalid offset '" + entry.value() + "'");
    else if (entry.key() == "length") {
      if (!parseSize(entry.value(), length))
        throw fail("has an invalid length '" + entry.value() + "'");
      hasLength = true;
    }
  }
  if (location.empty())
    throw fail("has no location");
  if (modelDir.empty())
    throw fail("cannot be read: the model was not loaded from a file");
  if (location[0] == '/')
    throw fail("location '" + location +
               "' is an absolute path; only paths inside the model's folder "
               "are allowed");
  if (location.find('\0') != std::string::npos)
    throw fail("location contains a NUL byte");

  // Walk the path one component at a time, refusing `..` and symlinks, so
  // nothing can lead out of the model's folder.
  std::string path = modelDir;
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find('/', start);
    if (end == std::string::npos)
      end = location.size();
    std::string part = location.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..")
      throw fail("location '" + location +
                 "' contains '..'; only paths inside the model's folder are "
                 "allowed");
    path += "/" + part;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0)
      throw fail("file '" + location + "' cannot be opened: " +
                 std::strerror(errno));
    if (S_ISLNK(st.st_mode))
      throw fail("location '" + location +
                 "' goes through a symbolic link; links are not followed");
  }

  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  ClosesFd closer{fd};
  if (fd < 0)
    throw fail("file '" + location + "' cannot be opened: " +
               std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw fail("location '" + location + "' is not a regular file");
  if (st.st_nlink != 1)
    throw fail("file '" + location +
               "' has several hard links; it may live outside the model's "
               "folder, so it is not read");

  uint64_t fileSize = uint64_t(st.st_size);
  if (offset > fileSize)
    throw fail("offset " + std::to_string(offset) + " is past the end of '" +
               location + "' (" + std::to_string(fileSize) + " bytes)");
  if (!hasLength)
    length = fileSize - offset;
  if (length > fileSize - offset)
    throw fail("range [" + std::to_string(offset) + ", +" +
               std::to_string(length) + ") is past the end of '" + location +
               "' (" + std::to_string(fileSize) + " bytes)");

  std::string bytes(length, '\0');
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, &bytes[done], length - done, off_t(offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw fail("file '" + location + "' could not be read");
    done += uint64_t(n);
  }
  return bytes;
}

} // namespace onnxc
