import type { Identity, PluginContext } from "@crealia/kernel/sdk";
import { imageVersion } from "./service.js";
import { DetectionStore } from "./store.js";

const typeDefs = `
  type FaceKeypoint { name: String!, x: Float!, y: Float! }
  type FaceBox { x: Float!, y: Float!, width: Float!, height: Float! }
  "An iris (model \`iris\`): centre and radius in image pixels; outline is the eye opening, 16 points [x, y]."
  type FaceIris { eye: String!, x: Float!, y: Float!, radius: Float!, outline: [[Float!]!]! }
  "The 468-point MediaPipe mesh: points are [x, y, z], x and y in image pixels; score is the mesh's face probability; irises, when the \`iris\` model ran, are both eyes' (right, left)."
  type FaceLandmarks { score: Float!, points: [[Float!]!]!, irises: [FaceIris!] }
  "A model that ran for the detection (BlazeFace front/back, facemesh, iris), where, and how many faces it gave."
  type FaceModelRun { model: String!, device: String!, fallback: String, faces: Int!, windows: Int }
  type FaceDetected { box: FaceBox!, score: Float!, keypoints: [FaceKeypoint!]!, landmarks: FaceLandmarks }
  type FaceDetection { assetId: ID!, version: Int!, model: String!, width: Int!, height: Int!, faces: [FaceDetected!]!, runs: [FaceModelRun!]!, createdAt: String! }
  extend type Query {
    "Faces detected in an asset version (the current one by default); null when not detected yet."
    faceDetection(assetId: ID!, version: Int): FaceDetection
  }
`;

export function registerGraphql(ctx: PluginContext) {
  const store = new DetectionStore(ctx.db);
  ctx.graphql.extend(typeDefs, {
    Query: {
      faceDetection: async (_root: unknown, args: { assetId: string; version?: number | null }, gql: { identity: Identity }) => {
        const { tenantId } = gql.identity;
        const { version } = await imageVersion(ctx, tenantId, args.assetId, args.version ?? undefined);
        return store.find(tenantId, args.assetId, version);
      },
    },
  });
}
