import { REDIS_URL } from "../fixtures.js";
import { jobTransportContract } from "./job-transport.contract.js";

jobTransportContract("bullmq", REDIS_URL);
