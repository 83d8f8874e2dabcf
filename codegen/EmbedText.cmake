# Writes file IN as a C++ raw string literal into OUT.
file(READ ${IN} content)
file(WRITE ${OUT} "R\"onnxc_embed(${content})onnxc_embed\"\n")
