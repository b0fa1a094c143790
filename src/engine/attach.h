/* The attach protocol between hull-monitor and its clients (`hull attach`,
 * a foreground `hull run`/`start -a`). libc only: hull-monitor includes it.
 *
 * The monitor listens on a SOCK_SEQPACKET unix socket, <runroot>/containers/
 * <id>/attach (0600 in a 0700 directory: root only), like conmon's attach
 * socket. Every message is one packet whose first byte says what it is:
 *
 *   monitor -> client  HULL_ATTACH_STDOUT | HULL_ATTACH_STDERR, then output
 *   client -> monitor  HULL_ATTACH_STDIN, then bytes for the container's stdin
 *                      HULL_ATTACH_RESIZE, then struct hull_attach_winsize
 *
 *   monitor -> owner   HULL_ATTACH_EXIT, then the init's wait status (int)
 *
 * The owner is the foreground `hull run`/`start -a` that started the monitor.
 * Without a restart policy it records the exit itself: the monitor writes
 * <runroot>/containers/<id>/exit-status, sends HULL_ATTACH_EXIT and exits;
 * the owner (or, if it died, the next command's repair) claims the file by
 * renaming it and records it.
 *
 * A client that shuts down its sending side (SHUT_WR) has reached the end of
 * its stdin: with pipes the monitor then closes the container's stdin (docker's
 * StdinOnce). The monitor closes every client when the container exited and
 * its exit was recorded (or, with a restart policy, keeps them across the
 * restart). */
#ifndef HULL_ENGINE_ATTACH_H
#define HULL_ENGINE_ATTACH_H

#include <stdint.h>

enum {
    HULL_ATTACH_STDIN = 0,
    HULL_ATTACH_STDOUT = 1,
    HULL_ATTACH_STDERR = 2,
    HULL_ATTACH_RESIZE = 3,
    HULL_ATTACH_EXIT = 4, /* monitor -> owner: int wait status (see below) */
};

#define HULL_ATTACH_MSG_MAX 8192 /* payload bytes per packet */
#define HULL_ATTACH_SOCKET  "attach"

struct hull_attach_winsize {
    uint16_t rows, cols;
};

#endif
