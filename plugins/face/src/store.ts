import type { PluginDatabase } from "@crealia/kernel/sdk";
import type { DetectionRun, FaceModelChoice } from "./detect/detector.js";

export interface StoredDetection {
  assetId: string;
  version: number;
  model: FaceModelChoice;
  width: number;
  height: number;
  faces: DetectionRun["faces"];
  runs: DetectionRun["runs"];
  createdAt: string;
}

interface Row {
  asset_id: string;
  version: number;
  model: FaceModelChoice;
  width: number;
  height: number;
  faces: DetectionRun["faces"] | string;
  runs: DetectionRun["runs"] | string;
  created_at: Date | string;
}

const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

function fromRow(r: Row): StoredDetection {
  return {
    assetId: r.asset_id,
    version: r.version,
    model: r.model,
    width: r.width,
    height: r.height,
    faces: json(r.faces),
    runs: json(r.runs),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Detections per asset version and model choice; a new detection of the same replaces the old. */
export class DetectionStore {
  constructor(private readonly db: PluginDatabase) {}

  async save(tenantId: string, assetId: string, version: number, model: FaceModelChoice, run: DetectionRun): Promise<StoredDetection> {
    const row = {
      tenant_id: tenantId,
      asset_id: assetId,
      version,
      model,
      width: run.width,
      height: run.height,
      faces: JSON.stringify(run.faces),
      runs: JSON.stringify(run.runs),
      created_at: new Date(),
    };
    const [saved] = await this.db.transaction(
      (trx) => trx("detections").insert(row).onConflict(["tenant_id", "asset_id", "version", "model"]).merge().returning("*"),
      { tenantId },
    );
    return fromRow(saved as Row);
  }

  /** The latest detection of that version (of any model choice unless one is named). */
  async find(tenantId: string, assetId: string, version: number, model?: FaceModelChoice): Promise<StoredDetection | null> {
    const row = await this.db.transaction(
      (trx) => {
        const q = trx("detections").where({ tenant_id: tenantId, asset_id: assetId, version });
        if (model) q.andWhere({ model });
        return q.orderBy("created_at", "desc").first();
      },
      { tenantId },
    );
    return row ? fromRow(row as Row) : null;
  }
}
