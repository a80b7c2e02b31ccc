/** Deterministic PRNG (mulberry32) for seeded fuzz and property tests, so that failures reproduce. */
export { seededRandom } from '../../common/random.js';
