/* barrier.c — the store barrier's repair (slow path of omni_store, hot.c).
 *
 * omni_store calls omni_store_repair only for a pointer v whose region does
 * not outlive the owner's region (owner 0, or a static owner: the global
 * region): left as it is, the edge would dangle once v's region is
 * reclaimed (Region Closure Property).  The repair transmigrates v, and
 * everything it reaches in regions that do not outlive the owner's, into
 * the owner's region and stores the copy; the source regions' escape_repair_count
 * go up.  A repair never fails and is invisible for immutable data; for
 * mutable objects (arrays, dicts, atoms, boxes) still reachable from their
 * own region it breaks identity: docs/CTRR_TRANSMIGRATION.md, "Limitation".
 */
#include "rt_core.h"

void omni_store_repair(OVal owner, OVal *slot, OVal v, Region *vr, Region *owner_r)
{
    (void)owner, (void)vr;
    Region *to = owner_r ? owner_r : omni_region_global();
    *slot = omni_transmigrate_into(v, to);
}
