import { AlertDto } from './dto/alerts.dto';
import { AlertRow } from './alerts.repository';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** The one JSON shape of an alert: the API, and the body of an alert webhook. */
export function alertView(r: AlertRow): AlertDto {
  return {
    id: r.id,
    type: r.type,
    severity: r.severity,
    state: r.state,
    institutionId: r.institution_id,
    institutionName: r.institution_name,
    districtCode: r.district_code,
    figures: r.figures,
    policyVersion: r.policy_version,
    policyCode: r.policy_code,
    openedAt: new Date(r.opened_at).toISOString(),
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    acknowledgeReason: r.acknowledge_reason,
    resolvedAt: iso(r.resolved_at),
    resolvedBy: r.resolved_by,
    resolveReason: r.resolve_reason,
  };
}
