// Bottleneck's "light" build: the same limiter without the Redis cluster mode, shipped as
// plain async functions rather than the Babel generator code of `bottleneck/lib`, which allocated
// enough per job to spend ~40 % of a limiter's time in GC (~55 µs CPU per job; light: ~12 µs).
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
