/* A max-speed line writer for the log benchmark: writes numbered 16-byte lines ("%015llu\n") to stdout in 1 MiB
 * writes until MIB mebibytes are out, then exits 0. The benchmark checks every line landed, in order.
 * Usage: line_writer MIB */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#define LINE 16
#define CHUNK (1 << 20)

int main(int argc, char **argv)
{
    long long mib = argc > 1 ? atoll(argv[1]) : 1024;
    static char buf[CHUNK];
    char digits[LINE];
    memset(digits, '0', LINE - 1);
    digits[LINE - 1] = '\n';
    long long lines = mib * (CHUNK / LINE);
    int pos = 0;
    for (long long i = 1; i <= lines; i++) {
        /* increment the 15-digit decimal counter in place */
        for (int d = LINE - 2; d >= 0; d--) {
            if (digits[d] == '9') { digits[d] = '0'; continue; }
            digits[d]++;
            break;
        }
        memcpy(buf + pos, digits, LINE);
        pos += LINE;
        if (pos == CHUNK) {
            for (int off = 0; off < CHUNK;) {
                ssize_t w = write(1, buf + off, CHUNK - off);
                if (w < 0) { if (errno == EINTR) continue; perror("write"); return 1; }
                off += (int)w;
            }
            pos = 0;
        }
    }
    return 0;
}
