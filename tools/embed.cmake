# embed.cmake — turns a binary file into a C array: -DIN=file -DOUT=file.c -DSYM=name
file(READ ${IN} HEX HEX)
string(LENGTH "${HEX}" N)
math(EXPR NBYTES "${N} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${HEX}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" BYTES "${BYTES}")
file(WRITE ${OUT} "/* generated from ${IN} */\n#include <stddef.h>\nconst unsigned char ${SYM}[] = {\n${BYTES}\n};\nconst size_t ${SYM}_len = ${NBYTES};\n")
