#ifndef MSG_PNG_H
#define MSG_PNG_H
#include <stddef.h>
#include <stdint.h>
/* Placeholder: replaced by the PNG encoder. */
int msg_png_version(void);
#endif
