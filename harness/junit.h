/* junit: junit.xml from a report.json tree, valid against the Jenkins xUnit plugin's
 * junit-10.xsd and readable by GitLab.
 *
 * One <testsuite> per check (named "checks.NAME") with one <testcase> per endpoint the
 * check ran on (classname = the endpoint, as GitLab groups by it), one "gates" suite with
 * a testcase per gate, and a "baseline" suite with one testcase per regression when the
 * run had a --baseline. A failure carries the message and up to JUNIT_EXAMPLES failing
 * examples with their curl reproductions; a failure that the baseline already had is a
 * <skipped> testcase saying so. */
#ifndef WXAI_JUNIT_H
#define WXAI_JUNIT_H

#include <cjson/cJSON.h>

#include "svg.h"

#define JUNIT_EXAMPLES 3
#define JUNIT_MAX_BYTES (8u << 20)

/* Append the XML of report to b. Returns 0, or -1 when it did not fit. */
int junit_render(svg_buf *b, const cJSON *report);
/* Write dir/junit.xml atomically. Returns 0, or -1 with a message on stderr. */
int junit_write(const char *dir, const cJSON *report);

#endif
