/* `hull network` and `hull volume`: CNI networks and named volumes. */
#include "commands.h"
#include "engine/engine.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* network connect [--ip ADDR] [--alias NAME]... NETWORK CONTAINER
 * network disconnect [-f] NETWORK CONTAINER */
static int network_connect(struct hull_engine *e, bool connect, int argc, char **argv)
{
    const char *verb = connect ? "connect" : "disconnect", *ip = NULL, *pos[2] = {NULL, NULL};
    _cleanup_free_ char **aliases = xmalloc0((size_t)(argc + 1) * sizeof(char *));
    hull_error err = {0};
    bool force = false;
    int npos = 0, naliases = 0;

    for (int i = 2; i < argc; i++) {
        if (connect && strcmp(argv[i], "--ip") == 0 && i + 1 < argc)
            ip = argv[++i];
        else if (connect && strncmp(argv[i], "--ip=", 5) == 0)
            ip = argv[i] + 5;
        else if (connect && strcmp(argv[i], "--alias") == 0 && i + 1 < argc)
            aliases[naliases++] = argv[++i];
        else if (connect && strncmp(argv[i], "--alias=", 8) == 0)
            aliases[naliases++] = argv[i] + 8;
        else if (!connect && (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0))
            force = true;
        else if (argv[i][0] != '-' && npos < 2)
            pos[npos++] = argv[i];
        else {
            fprintf(stderr, "hull: network %s: unexpected argument %s\n", verb, argv[i]);
            npos = -1;
            break;
        }
    }
    if (npos != 2) {
        fprintf(stderr, "usage: hull network %s %sNETWORK CONTAINER\n", verb,
                connect ? "[--ip ADDR] [--alias NAME]... " : "[-f] ");
        return 125;
    }
    if ((connect ? hull_network_connect(e, pos[0], pos[1], ip, aliases, &err)
                 : hull_network_disconnect(e, pos[0], pos[1], force, &err)) < 0)
        return hull_cmd_fail(&err);
    return 0;
}

int hull_cmd_network(struct hull_ctx *ctx, int argc, char **argv)
{
    struct hull_engine e;
    hull_error err = {0};
    const char *sub = argc > 1 ? argv[1] : "";
    int rc = 0;

    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (strcmp(sub, "create") == 0) {
        const char *subnet = NULL, *name = NULL;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--subnet") == 0 && i + 1 < argc)
                subnet = argv[++i];
            else if (strncmp(argv[i], "--subnet=", 9) == 0)
                subnet = argv[i] + 9;
            else if (argv[i][0] != '-' && name == NULL)
                name = argv[i];
            else {
                fprintf(stderr, "hull: network create: unknown argument %s\n", argv[i]);
                rc = 125;
            }
        }
        if (rc == 0 && name == NULL) {
            fprintf(stderr, "hull: network create NAME [--subnet CIDR]\n");
            rc = 125;
        }
        if (rc == 0 && hull_network_create(&e, name, subnet ? subnet : "10.90.0.0/24", &err) < 0)
            rc = hull_cmd_fail(&err);
        else if (rc == 0)
            printf("%s\n", name);
    } else if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) {
        json_t *arr, *n;
        size_t i;
        hull_network_list(&e, &arr, &err);
        printf("%-20s  %-10s  %s\n", "NAME", "DRIVER", "SUBNET");
        json_array_foreach (arr, i, n) {
            json_t *p0 = json_array_get(json_object_get(n, "plugins"), 0);
            json_t *rng = json_array_get(
                json_array_get(json_object_get(json_object_get(p0, "ipam"), "ranges"), 0), 0);
            printf("%-20s  %-10s  %s\n", json_string_value(json_object_get(n, "name")),
                   json_string_value(json_object_get(p0, "type")),
                   json_string_value(json_object_get(rng, "subnet")) ?: "");
        }
        json_decref(arr);
    } else if ((strcmp(sub, "rm") == 0 || strcmp(sub, "inspect") == 0) && argc > 2) {
        for (int i = 2; i < argc; i++) {
            json_t *n;
            if (sub[0] == 'r') {
                if (hull_network_remove(&e, argv[i], &err) < 0)
                    rc = hull_cmd_fail(&err);
                else
                    printf("%s\n", argv[i]);
            } else if (hull_network_load(&e, argv[i], &n, &err) < 0) {
                rc = hull_cmd_fail(&err);
            } else {
                char *s = json_dumps(n, JSON_INDENT(2));
                puts(s);
                free(s);
                json_decref(n);
            }
        }
    } else if (strcmp(sub, "connect") == 0 || strcmp(sub, "disconnect") == 0) {
        rc = network_connect(&e, sub[0] == 'c', argc, argv);
    } else {
        fprintf(stderr, "usage: hull network create|ls|rm|inspect|connect|disconnect ...\n");
        rc = 125;
    }
    hull_engine_close(&e);
    return rc;
}

int hull_cmd_volume(struct hull_ctx *ctx, int argc, char **argv)
{
    struct hull_engine e;
    hull_error err = {0};
    const char *sub = argc > 1 ? argv[1] : "";
    int rc = 0;

    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (strcmp(sub, "create") == 0 && argc == 3) {
        if (hull_volume_create(&e, argv[2], false, &err) < 0)
            rc = hull_cmd_fail(&err);
        else
            printf("%s\n", argv[2]);
    } else if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) {
        json_t *arr, *v;
        size_t i;
        hull_volume_list(&e, &arr, &err);
        printf("%-10s  %s\n", "DRIVER", "VOLUME NAME");
        json_array_foreach (arr, i, v)
            printf("%-10s  %s\n", "local", json_string_value(json_object_get(v, "Name")));
        json_decref(arr);
    } else if (strcmp(sub, "rm") == 0 && argc > 2) {
        for (int i = 2; i < argc; i++) {
            if (hull_volume_remove(&e, argv[i], &err) < 0)
                rc = hull_cmd_fail(&err);
            else
                printf("%s\n", argv[i]);
        }
    } else if (strcmp(sub, "inspect") == 0 && argc > 2) {
        json_t *arr, *v, *out = json_array();
        size_t i;
        hull_volume_list(&e, &arr, &err);
        for (int a = 2; a < argc; a++) {
            bool found = false;
            json_array_foreach (arr, i, v)
                if (strcmp(json_string_value(json_object_get(v, "Name")), argv[a]) == 0) {
                    json_array_append(out, v);
                    found = true;
                }
            if (!found) {
                fprintf(stderr, "hull: no such volume: %s\n", argv[a]);
                rc = 1;
            }
        }
        {
            char *s = json_dumps(out, JSON_INDENT(4));
            puts(s);
            free(s);
        }
        json_decref(out);
        json_decref(arr);
    } else if (strcmp(sub, "prune") == 0) {
        json_t *removed, *v;
        size_t i;
        if (hull_volume_prune(&e, &removed, &err) < 0) {
            rc = hull_cmd_fail(&err);
        } else {
            json_array_foreach (removed, i, v)
                printf("%s\n", json_string_value(v));
            json_decref(removed);
        }
    } else {
        fprintf(stderr,
                "usage: hull volume create NAME | ls | rm NAME... | inspect NAME... | prune\n");
        rc = 125;
    }
    hull_engine_close(&e);
    return rc;
}
